import AttentionEngine
import XCTest

/// The tape: accumulation, zeroGrad, no-grad mode, and finite-difference checks of every
/// arithmetic, reduction and shape op (tolerances in Support/GradientCheck.swift).
final class EngineAutogradTests: XCTestCase {
    func testAccumulatesWhenATensorFeedsSeveralOps() throws {
        // f = Σ (x·x + 3x) → df/dx = 2x + 3, x feeds three uses.
        let x = try Tensor(shape: [3], values: [1, -2, 0.5]).requiringGrad()
        try (x * x + 3 * x).sum().backward()
        XCTAssertEqual(x.grad!.scalars, [5, -1, 4])
        // A second backward adds to the leaf gradient; zeroGrad clears it.
        try (x * 2).sum().backward()
        XCTAssertEqual(x.grad!.scalars, [7, 1, 6])
        x.zeroGrad()
        XCTAssertNil(x.grad)
    }

    func testNoGradRecordsNothing() throws {
        let x = try Tensor(shape: [2], values: [1, 2]).requiringGrad()
        let y = try Autograd.withNoGrad { try (x * x).sum() }
        XCTAssertFalse(y.requiresGrad)
        XCTAssertFalse(Autograd.withNoGrad { Autograd.isRecording })
        XCTAssertTrue(Autograd.isRecording)
        try y.backward()
        XCTAssertNil(x.grad)
        // Constants never record either.
        XCTAssertFalse(try (Tensor([1, 2]) * Tensor([3, 4])).requiresGrad)
    }

    /// Under no-grad only the output is allocated; with the tape on, backward allocates the leaf
    /// gradient and frees every intermediate one.
    func testNoGradAllocatesNoGradientBuffers() throws {
        let x = randomTensor([1000], seed: 1).requiringGrad()
        let bytes = 1000 * MemoryLayout<Float>.stride
        let before = MemoryStatistics.currentBytes
        var y: Tensor? = try Autograd.withNoGrad { try x * x + x }
        XCTAssertEqual(MemoryStatistics.currentBytes - before, bytes)
        y = nil
        XCTAssertEqual(MemoryStatistics.currentBytes, before)
        try (x * x + x).sum().backward()
        XCTAssertEqual(MemoryStatistics.currentBytes - before, bytes)  // x.grad only
        x.zeroGrad()
        XCTAssertEqual(MemoryStatistics.currentBytes, before)
        _ = y
    }

    /// A graph 200 000 ops deep (a long unrolled sequence) is freed without overflowing the
    /// stack, whether it is dropped unused or after backward.
    func testDeepGraphsAreReleasedIteratively() throws {
        let x = Tensor([1, 2]).requiringGrad()
        var y = x
        for _ in 0..<200_000 { y = y + 1 }
        y = Tensor(0)
        var z = x
        for _ in 0..<200_000 { z = 1 * z }
        try z.sum().backward()
        XCTAssertEqual(x.grad!.scalars, [1, 1])
        _ = y
    }

    func testBackwardNeedsAScalar() {
        assertThrowsAttentionError(["scalar", "[2]"]) {
            try (Tensor([1, 2]).requiringGrad() * 2).backward()
        }
    }

    func testBroadcastMismatchNamesShapes() {
        assertThrowsAttentionError(["add", "[2, 3]", "[2]"]) {
            _ = try Tensor.zeros([2, 3]) + Tensor.zeros([2])
        }
    }

    func testForwardValues() throws {
        let a = try Tensor([[1, 2], [3, 4]]), b = Tensor([10, 20])
        XCTAssertEqual(try (a + b).scalars, [11, 22, 13, 24])
        XCTAssertEqual(try (b + a).scalars, [11, 22, 13, 24])
        XCTAssertEqual(try (a * b).scalars, [10, 40, 30, 80])
        XCTAssertEqual(try (a - b).scalars, [-9, -18, -7, -16])
        XCTAssertEqual((1 - a).scalars, [0, -1, -2, -3])
        XCTAssertEqual(a.sum().item, 10)
        XCTAssertEqual(a.mean().item, 2.5)
        XCTAssertEqual(try a.transposed(0, 1).scalars, [1, 3, 2, 4])
        let c = try Tensor(shape: [2, 3, 2], values: (0..<12).map(Float.init))
        XCTAssertEqual(try c.permuted([2, 0, 1]).scalars, [0, 2, 4, 6, 8, 10, 1, 3, 5, 7, 9, 11])
        XCTAssertEqual(try c.narrowed(1, start: 1, length: 2).scalars, [2, 3, 4, 5, 8, 9, 10, 11])
        XCTAssertEqual(try c.selected(1, index: 0).shape, [2, 2])
        XCTAssertEqual(try Tensor.concatenated([a, a], along: 1).scalars, [1, 2, 1, 2, 3, 4, 3, 4])
        XCTAssertEqual(try Tensor.stacked([b, b], along: 1).scalars, [10, 10, 20, 20])
    }

    /// Sizes around the SIMD width (1, 3, 17, 63) and an empty dimension.
    func testArithmeticGradients() throws {
        for n in [1, 3, 17, 63] {
            let a = randomTensor([2, n], seed: 1), b = randomTensor([2, n], seed: 2), row = randomTensor([n], seed: 3)
            try checkGradients(inputs: [a, b]) { try $0[0] * $0[1] + $0[0] }
            try checkGradients(inputs: [a, row]) { try $0[0] * $0[1] - $0[1] }
            try checkGradients(inputs: [row, a]) { try ($0[0] + $0[1]) * $0[0] }
            try checkGradients(inputs: [a]) { try (0.5 - 2 * $0[0]).mean() + $0[0].sum() * 3 }
        }
        try checkGradients(inputs: [randomTensor([0, 4], seed: 1), randomTensor([4], seed: 2)]) {
            try ($0[0] * $0[1] + $0[1]).sum() + $0[1].sum()
        }
    }

    func testShapeOpGradients() throws {
        let x = randomTensor([2, 3, 5], seed: 4), y = randomTensor([2, 1, 5], seed: 5)
        try checkGradients(inputs: [x]) { try $0[0].permuted([1, 2, 0]) * $0[0].permuted([1, 2, 0]) }
        try checkGradients(inputs: [x]) { try $0[0].transposed(0, 2).reshaped([5, -1]) }
        try checkGradients(inputs: [x]) {
            try $0[0].narrowed(1, start: 1, length: 1) * $0[0].selected(1, index: 2).reshaped([2, 1, 5])
        }
        try checkGradients(inputs: [x, y]) { try Tensor.concatenated([$0[0], $0[1], $0[0]], along: 1) }
        try checkGradients(inputs: [y]) { try Tensor.stacked([$0[0], $0[0] * 2], along: 0) }
    }

    func testShapeOpErrors() {
        let x = try! Tensor.zeros([2, 3])
        assertThrowsAttentionError(["permute", "[0, 0]"]) { _ = try x.permuted([0, 0]) }
        assertThrowsAttentionError(["narrow", "[2, 3]"]) { _ = try x.narrowed(1, start: 2, length: 2) }
        assertThrowsAttentionError(["concatenate", "[2, 3]", "[3, 3]"]) {
            _ = try Tensor.concatenated([x, Tensor.zeros([3, 3])], along: 1)
        }
    }
}
