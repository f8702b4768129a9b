import AttentionEngine
import XCTest

/// The backward of `+` and `reshaped` hands its output gradient's buffer to an input that has no
/// gradient yet instead of copying it (`AutogradNode.receive(passing:)`). The gradients must be
/// those of the copying path in every case where the buffer could be shared twice, and no buffer
/// may leak or be freed twice.
final class GradientHandoffTests: XCTestCase {
    private let values: [Float] = [0.5, -1.25, 2, 3.5, -0.75, 1]

    /// d/dx of f(x) for a leaf x of `values`, shape (2, 3).
    private func gradient(_ f: (Tensor) throws -> Tensor) throws -> [Float] {
        let x = try Tensor(shape: [2, 3], values: values).requiringGrad()
        try f(x).sum().backward()
        return try XCTUnwrap(x.grad).scalars
    }

    func testResidualSumGivesBothPaths() throws {
        // y = h + h·3 with h = 2x: the add hands its buffer to h, then the multiply adds 3·dout.
        let g = try gradient { x in let h = x * 2; return try h + h * 3 }
        XCTAssertEqual(g, Array(repeating: 8, count: 6))
    }

    func testSameNodeOnBothSidesOfAnAdd() throws {
        // h + h: the first side takes the buffer, the second adds the same gradient onto it.
        let g = try gradient { x in let h = x * 2; return try h + h }
        XCTAssertEqual(g, Array(repeating: 4, count: 6))
    }

    func testReshapeChainAndReuse() throws {
        // r = reshape(2x); y = r + r·r (elementwise): dy/dx = 2·(1 + 2r) = 2 + 8x.
        let g = try gradient { x in
            let r = try (x * 2).reshaped([3, 2])
            return try r + r * r
        }
        XCTAssertEqual(g, values.map { 2 + 8 * $0 })
    }

    func testLeafInputsStillReceiveCopies() throws {
        // A leaf never takes over a buffer (its gradient outlives the backward pass).
        let a = try Tensor(shape: [2, 3], values: values).requiringGrad()
        let b = try Tensor(shape: [2, 3], values: values).requiringGrad()
        try ((a + b) * 3).sum().backward()
        XCTAssertEqual(try XCTUnwrap(a.grad).scalars, Array(repeating: 3, count: 6))
        XCTAssertEqual(try XCTUnwrap(b.grad).scalars, Array(repeating: 3, count: 6))
    }

    func testNoBufferLeaksOrIsFreedTwice() throws {
        let before = MemoryStatistics.currentBytes
        do {
            let x = try Tensor(shape: [64, 64], values: (0..<4096).map { Float($0 % 7) }).requiringGrad()
            var h = x * 0.5
            for _ in 0..<4 { h = try h + (try h.reshaped([4096]).reshaped([64, 64]) * 0.25) }
            try h.sum().backward()
            XCTAssertNotNil(x.grad)
        }
        XCTAssertEqual(MemoryStatistics.currentBytes, before)
    }
}
