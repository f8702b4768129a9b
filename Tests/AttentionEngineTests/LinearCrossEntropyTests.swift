import AttentionEngine
import Foundation
import XCTest

/// The fused LM head + cross-entropy (kernel and autograd op) against the Double reference, the
/// unfused linear + crossEntropyLoss, finite differences, thread counts and its memory bound.
final class LinearCrossEntropyTests: XCTestCase {
    private let arena = TestArena()

    /// One kernel run: losses (N), dx (N, C), dweight (V, C) (accumulated onto `dweightStart`).
    private func run(x: [Float], weight: [Float], targets: [Int32], vocab: Int, channels: Int, scale: Float,
                     ignoreIndex: Int32 = -1, dweightStart: Float = 0, naive: Bool = false)
        -> (losses: [Float], dx: [Float], dweight: [Float]) {
        let rows = targets.count
        let losses = arena.buffer(repeating: Float.nan, count: rows)
        let dx = arena.buffer(repeating: Float.nan, count: rows * channels)
        let dweight = arena.buffer(repeating: dweightStart, count: vocab * channels)
        let (xs, ws, ids) = (arena.buffer(x), arena.buffer(weight), arena.buffer(targets))
        if naive {
            linearCrossEntropyForwardNaive(losses: losses, dx: dx, dweight: dweight, x: xs, weight: ws, targets: ids,
                                           rows: rows, vocab: vocab, channels: channels, scale: scale,
                                           ignoreIndex: ignoreIndex)
        } else {
            linearCrossEntropyForward(losses: losses, dx: dx, dweight: dweight, x: xs, weight: ws, targets: ids,
                                      rows: rows, vocab: vocab, channels: channels, scale: scale,
                                      ignoreIndex: ignoreIndex)
        }
        return (values(losses, rows), values(dx, rows * channels), values(dweight, vocab * channels))
    }

    /// Every tenth target ignored, the others uniform in 0..<vocab.
    private func targets(_ rows: Int, vocab: Int, ignoreIndex: Int32, random: inout TestRandom) -> [Int32] {
        (0..<rows).map { $0 % 10 == 3 ? ignoreIndex : Int32(random.int(vocab)) }
    }

    /// Against the Double reference over 1, 2 and 3 chunks (the last one partial). Logits are
    /// Float GEMM sums of C products of values in [-1, 1): losses within 1e-5 absolute + 1e-5
    /// relative; gradients (scale 1/N, so entries ~1/N) within 1e-7 absolute + 1e-4 relative.
    func testKernelMatchesReference() {
        var random = TestRandom(seed: 71)
        let chunk = linearCrossEntropyChunkRows
        for (rows, vocab, channels) in [(5, 3, 2), (chunk, 37, 9), (2 * chunk + 77, 50, 20)] {
            let x = random.floats(rows * channels), weight = random.floats(vocab * channels)
            let ids = targets(rows, vocab: vocab, ignoreIndex: -1, random: &random)
            let scale = 1 / Float(rows)
            let fast = run(x: x, weight: weight, targets: ids, vocab: vocab, channels: channels, scale: scale,
                           dweightStart: 0.5)
            let reference = run(x: x, weight: weight, targets: ids, vocab: vocab, channels: channels, scale: scale,
                                dweightStart: 0.5, naive: true)
            let label = "rows \(rows) vocab \(vocab) channels \(channels)"
            assertClose(fast.losses, reference.losses, absolute: 1e-5, relative: 1e-5, label)
            assertClose(fast.dx, reference.dx, absolute: 1e-7, relative: 1e-4, label)
            assertClose(fast.dweight, reference.dweight, absolute: 1e-7, relative: 1e-4, label)
            for r in 0..<rows where ids[r] == -1 {
                XCTAssertEqual(fast.losses[r], 0, label)
                XCTAssertTrue(fast.dx[r * channels..<(r + 1) * channels].allSatisfy { $0 == 0 }, label)
            }
        }
    }

    /// Chunks are fixed and every GEMM is thread-count independent: bitwise equal for 1, 2, 3.
    func testBitwiseIndependentOfThreadCount() {
        var random = TestRandom(seed: 72)
        let rows = 2 * linearCrossEntropyChunkRows + 41, vocab = 300, channels = 24
        let x = random.floats(rows * channels), weight = random.floats(vocab * channels)
        let ids = targets(rows, vocab: vocab, ignoreIndex: -1, random: &random)
        let results = withThreadCounts {
            run(x: x, weight: weight, targets: ids, vocab: vocab, channels: channels, scale: 1 / Float(rows))
        }
        for result in results.dropFirst() {
            assertBitwiseEqual(result.losses, results[0].losses, "losses")
            assertBitwiseEqual(result.dx, results[0].dx, "dx")
            assertBitwiseEqual(result.dweight, results[0].dweight, "dweight")
        }
    }

    /// The op against linear + crossEntropyLoss on the same inputs, with padding rows and an
    /// output gradient of 0.5 (loss · 0.5): loss within 1e-6 relative, gradients within 1e-7
    /// absolute + 1e-5 relative (the same kernels; only the chunking of the products differs).
    func testOpMatchesUnfusedLinearAndCrossEntropy() throws {
        var random = TestRandom(seed: 73)
        let (batch, time, vocab, channels) = (5, 230, 301, 24)  // 1,150 rows: three chunks
        let pad: Int32 = 0
        let ids = targets(batch * time, vocab: vocab, ignoreIndex: pad, random: &random)
        let x0 = randomTensor([batch, time, channels], seed: 74)
        let w0 = randomTensor([vocab, channels], seed: 75)

        func gradients(fused: Bool) throws -> (loss: Float, dx: [Float], dw: [Float]) {
            let x = x0.requiringGrad(), w = w0.requiringGrad()
            let loss = fused ? try x.linearCrossEntropyLoss(weight: w, targets: ids, ignoreIndex: pad)
                             : try x.linear(weight: w).crossEntropyLoss(targets: ids, ignoreIndex: pad)
            try (loss * Tensor(0.5)).backward()
            return (loss.item, x.grad!.scalars, w.grad!.scalars)
        }
        let fused = try gradients(fused: true), unfused = try gradients(fused: false)
        XCTAssertEqual(fused.loss, unfused.loss, accuracy: 1e-6 * abs(unfused.loss))
        assertClose(fused.dx, unfused.dx, absolute: 1e-7, relative: 1e-5, "dx")
        assertClose(fused.dw, unfused.dw, absolute: 1e-7, relative: 1e-5, "dw")
        let inference = try Autograd.withNoGrad { try x0.linearCrossEntropyLoss(weight: w0, targets: ids, ignoreIndex: pad) }
        XCTAssertEqual(inference.item.bitPattern, fused.loss.bitPattern, "the loss does not depend on recording")
        XCTAssertFalse(inference.requiresGrad)
    }

    /// Central differences of the Float op on a tiny case with one ignored row (default
    /// tolerance of `checkGradients`: 2e-3 absolute + 2e-2 relative).
    func testGradientsMatchFiniteDifferences() throws {
        let ids: [Int32] = [3, -100, 6, 0, 2, 5]
        try checkGradients(inputs: [randomTensor([2, 3, 5], seed: 76), randomTensor([7, 5], seed: 77, -2, 2)]) {
            try $0[0].linearCrossEntropyLoss(weight: $0[1], targets: ids)
        }
    }

    /// Every row ignored: loss 0 and zero gradients, as crossEntropyLoss.
    func testAllRowsIgnored() throws {
        let x = randomTensor([4, 3], seed: 78).requiringGrad(), w = randomTensor([6, 3], seed: 79).requiringGrad()
        let loss = try x.linearCrossEntropyLoss(weight: w, targets: [-100, -100, -100, -100])
        XCTAssertEqual(loss.item, 0)
        try loss.backward()
        XCTAssertTrue(x.grad!.scalars.allSatisfy { $0 == 0 })
        XCTAssertTrue(w.grad!.scalars.allSatisfy { $0 == 0 })
    }

    /// Hostile values: a NaN feature gives the loss crossEntropyLoss gives on the same (NaN)
    /// logits, not a finite number; logits that are all -inf (an -inf table entry times a
    /// positive feature) give +inf with a zero dlogits row (so a zero table gradient), as
    /// crossEntropyLoss; nothing traps.
    func testNonFiniteValues() throws {
        let w = try Tensor(shape: [3, 1], values: [1, 2, 3])
        let withNaN = try Tensor(shape: [2, 1], values: [.nan, 1])
        let fused = try withNaN.linearCrossEntropyLoss(weight: w, targets: [0, 1]).item
        let unfused = try withNaN.linear(weight: w).crossEntropyLoss(targets: [0, 1]).item
        XCTAssertFalse(fused.isFinite)
        XCTAssertEqual(fused.bitPattern, unfused.bitPattern, "\(fused) vs \(unfused)")
        let x = try Tensor(shape: [2, 1], values: [1, 1]).requiringGrad()
        let table = try Tensor(shape: [2, 1], values: [-.infinity, -.infinity]).requiringGrad()
        let loss = try x.linearCrossEntropyLoss(weight: table, targets: [0, -100])
        XCTAssertEqual(loss.item, .infinity)
        try loss.backward()
        XCTAssertEqual(table.grad!.scalars, [0, 0])
    }

    func testErrors() {
        let x = randomTensor([2, 3], seed: 80), w = randomTensor([5, 3], seed: 81)
        assertThrowsAttentionError(["linearCrossEntropyLoss", "do not fit"]) {
            _ = try x.linearCrossEntropyLoss(weight: randomTensor([5, 4], seed: 82), targets: [0, 1])
        }
        assertThrowsAttentionError(["linearCrossEntropyLoss", "V > 0"]) {
            _ = try x.linearCrossEntropyLoss(weight: Tensor.zeros([0, 3]), targets: [0, 1])
        }
        assertThrowsAttentionError(["3 targets", "2 rows"]) {
            _ = try x.linearCrossEntropyLoss(weight: w, targets: [0, 1, 2])
        }
        assertThrowsAttentionError(["target 5 outside 0..<5"]) {
            _ = try x.linearCrossEntropyLoss(weight: w, targets: [0, 5])
        }
        assertThrowsAttentionError(["target -1 outside"]) {
            _ = try x.linearCrossEntropyLoss(weight: w, targets: [-1, 0])
        }
    }

    /// The memory the fusion saves: the unfused loss and backward hold the (N, V) logits and
    /// their (N, V) gradient; the fused op at most one (R, V) chunk plus dx and dweight. The peak
    /// above the inputs must differ by at least one full logits buffer.
    func testPeakMemoryIsBelowTheUnfusedPath() throws {
        let (rows, vocab, channels) = (2048, 2000, 32)
        var random = TestRandom(seed: 83)
        let ids = targets(rows, vocab: vocab, ignoreIndex: -100, random: &random)
        let x0 = randomTensor([rows, channels], seed: 84), w0 = randomTensor([vocab, channels], seed: 85)
        func peak(fused: Bool) throws -> Int {
            let x = x0.requiringGrad(), w = w0.requiringGrad()
            MemoryStatistics.resetPeak()
            let base = MemoryStatistics.currentBytes
            let loss = fused ? try x.linearCrossEntropyLoss(weight: w, targets: ids)
                             : try x.linear(weight: w).crossEntropyLoss(targets: ids)
            try loss.backward()
            return MemoryStatistics.peakBytes - base
        }
        let fused = try peak(fused: true), unfused = try peak(fused: false)
        let logitsBytes = rows * vocab * MemoryLayout<Float>.stride
        XCTAssertLessThanOrEqual(fused + logitsBytes, unfused, "fused \(fused) B, unfused \(unfused) B")
        let chunkBytes = linearCrossEntropyChunkRows * vocab * MemoryLayout<Float>.stride
        let gradientBytes = (rows + 2 * vocab) * channels * MemoryLayout<Float>.stride + 2 * rows * 4
        XCTAssertLessThanOrEqual(fused, chunkBytes + 2 * gradientBytes, "fused \(fused) B")
    }
}
