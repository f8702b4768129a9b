import AttentionEngine
import Foundation
import XCTest

/// crossEntropyForward/Backward: references, finite differences, ignore index, extremes.
final class CrossEntropyTests: XCTestCase {
    private let arena = TestArena()

    private func losses(_ logits: [Float], _ targets: [Int32], vocab: Int, ignoreIndex: Int32 = -1,
                        naive: Bool = false) -> [Float] {
        let out = arena.buffer(repeating: Float.nan, count: targets.count)
        let kernel = naive ? crossEntropyForwardNaive : crossEntropyForward
        kernel(out, arena.buffer(logits), arena.buffer(targets), targets.count, vocab, ignoreIndex)
        return values(out, targets.count)
    }

    private func gradient(_ logits: [Float], _ targets: [Int32], vocab: Int, scale: Float,
                          ignoreIndex: Int32 = -1, naive: Bool = false) -> [Float] {
        let out = arena.buffer(repeating: Float.nan, count: logits.count)
        let kernel = naive ? crossEntropyBackwardNaive : crossEntropyBackward
        kernel(out, arena.buffer(logits), arena.buffer(targets), targets.count, vocab, scale, ignoreIndex)
        return values(out, logits.count)
    }

    /// Losses vs the Double reference: 2e-6 absolute + 2e-6 relative. Gradients: 2e-7 absolute
    /// + 4e-6 relative (probabilities with vectorExp's 2 ulp, times scale).
    func testMatchesReference() {
        var random = TestRandom(seed: 41)
        for vocab in elementwiseTestSizes {
            let rows = 9
            let logits = random.floats(rows * vocab, -6, 6)
            let targets = (0..<rows).map { _ in Int32(random.int(vocab)) }
            assertClose(losses(logits, targets, vocab: vocab), losses(logits, targets, vocab: vocab, naive: true),
                        absolute: 2e-6, relative: 2e-6, "vocab \(vocab)")
            assertClose(gradient(logits, targets, vocab: vocab, scale: 1.0 / 9),
                        gradient(logits, targets, vocab: vocab, scale: 1.0 / 9, naive: true),
                        absolute: 2e-7, relative: 4e-6, "vocab \(vocab)")
        }
    }

    /// The gradient of L = scale·Σ_r loss_r by central differences of the Double loss:
    /// tolerance 1e-6 absolute + 1e-4 relative.
    func testBackwardMatchesFiniteDifferences() {
        var random = TestRandom(seed: 42)
        let rows = 4, vocab = 17, scale: Float = 0.25
        let logits = random.floats(rows * vocab, -3, 3)
        let targets: [Int32] = [3, -1, 16, 0]  // the second row is ignored
        func loss(_ x: [Double]) -> Double {
            var total = 0.0
            for r in 0..<rows where targets[r] != -1 {
                let row = x[r * vocab..<(r + 1) * vocab]
                let m = row.max()!
                total += m + log(row.reduce(0) { $0 + exp($1 - m) }) - x[r * vocab + Int(targets[r])]
            }
            return Double(scale) * total
        }
        let x = logits.map(Double.init)
        let numeric = x.indices.map { Float(finiteDifference(x, index: $0, loss)) }
        let result = gradient(logits, targets, vocab: vocab, scale: scale)
        assertClose(result, numeric, absolute: 1e-6, relative: 1e-4)
        XCTAssertTrue(result[vocab..<2 * vocab].allSatisfy { $0 == 0 }, "ignored row")
    }

    func testIgnoreIndex() {
        let logits: [Float] = [1, 2, 3, 4, 5, 6]
        let result = losses(logits, [7, 1, 0], vocab: 2, ignoreIndex: 7)
        XCTAssertEqual(result[0], 0)
        XCTAssertEqual(result[1], Float(log(1 + exp(-1.0))), accuracy: 1e-6)
        XCTAssertEqual(result[2], Float(log(1 + exp(1.0))), accuracy: 1e-6)
        let dlogits = gradient(logits, [7, 1, 7], vocab: 2, scale: 1, ignoreIndex: 7)
        XCTAssertEqual(dlogits[0], 0)
        XCTAssertEqual(dlogits[1], 0)
        XCTAssertEqual(dlogits[4], 0)
        XCTAssertEqual(dlogits[5], 0)
        XCTAssertEqual(dlogits[2] + dlogits[3], 0, accuracy: 1e-7)
    }

    func testExtremeLogitsGiveNoNaN() {
        let inf = Float.infinity
        let logits: [Float] = [1e30, -1e30, 0, 3e38,   // huge: target 3 is the max
                               -inf, 2, -inf, 1,      // masked entries, target visible
                               -inf, 2, -inf, 1,      // target is -inf: infinite loss
                               -inf, -inf, -inf, -inf]  // nothing finite
        let targets: [Int32] = [3, 1, 0, 2]
        let result = losses(logits, targets, vocab: 4)
        XCTAssertEqual(result[0], 0)
        XCTAssertEqual(result[1], Float(log(1 + exp(-1.0))), accuracy: 1e-6)
        XCTAssertEqual(result[2], .infinity)
        XCTAssertEqual(result[3], .infinity)
        let dlogits = gradient(logits, targets, vocab: 4, scale: 1)
        XCTAssertFalse(dlogits.contains { $0.isNaN }, "\(dlogits)")
        XCTAssertEqual(Array(dlogits[0..<4]), [0, 0, 0, 0])
        XCTAssertEqual(Array(dlogits[12..<16]), [0, 0, 0, 0])
    }

    func testBitwiseIdenticalForAnyThreadCount() {
        var random = TestRandom(seed: 43)
        let rows = 200, vocab = 301
        let logits = random.floats(rows * vocab, -10, 10)
        let targets = (0..<rows).map { _ in Int32(random.int(vocab)) }
        let results = withThreadCounts {
            losses(logits, targets, vocab: vocab) + gradient(logits, targets, vocab: vocab, scale: 0.005)
        }
        assertBitwiseEqual(results[0], results[1])
        assertBitwiseEqual(results[0], results[2])
    }
}
