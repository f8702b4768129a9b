import AttentionEngine
import Foundation
import XCTest

/// Both GELUs: error bounds over a dense grid, the kernel contract, finite differences, extremes.
final class GELUTests: XCTestCase {
    private let arena = TestArena()

    /// Relative error bound of the tanh GELU (documented on `geluForward`): the Float rounding of
    /// the tanh argument u is amplified by |2u| in the negative tail, where gelu → 0.
    private func geluTanhBound(_ x: Float) -> Float {
        x >= -1 ? 3e-7 : x >= -2 ? 6e-7 : x >= -4 ? 2e-6 : 1.2e-5
    }

    /// Relative error bound of the erf GELU (documented on `geluErfForward`).
    private func geluErfBound(_ x: Float) -> Float { x >= 0 ? 4e-7 : x >= -4 ? 2e-6 : 1.5e-5 }

    func testTanhApproximationErrorBound() {
        let x = grid(-12, 12, count: 480_001)
        let fast = apply(geluForward, x, arena: arena), reference = apply(geluForwardNaive, x, arena: arena)
        for i in x.indices {
            let tolerance = geluTanhBound(x[i]) * abs(reference[i]) + 2e-37  // results below 2e-37 may be flushed to 0
            if !(abs(fast[i] - reference[i]) <= tolerance) {
                XCTFail("x = \(x[i]): \(fast[i]) vs \(reference[i])")
                return
            }
        }
    }

    func testErfErrorBound() {
        let x = grid(-12, 12, count: 480_001)
        let fast = apply(geluErfForward, x, arena: arena), reference = apply(geluErfForwardNaive, x, arena: arena)
        for i in x.indices {
            let tolerance = geluErfBound(x[i]) * abs(reference[i]) + 1e-37
            if !(abs(fast[i] - reference[i]) <= tolerance) {
                XCTFail("x = \(x[i]): \(fast[i]) vs \(reference[i])")
                return
            }
        }
        // Known values: Φ(1) = 0.841344746..., so gelu(1) = 0.8413447; gelu(−1) = −0.1586553.
        XCTAssertEqual(apply(geluErfForward, [1, -1, 0], arena: arena), [0.8413447, -0.15865526, 0])
    }

    func testContracts() {
        checkElementwiseContract(forward: geluForward, forwardNaive: geluForwardNaive,
                                 backward: geluBackward, backwardNaive: geluBackwardNaive,
                                 backwardUsesOutput: false, forwardTolerance: 1.2e-5,
                                 backwardTolerance: 2e-5, arena: arena)
        checkElementwiseContract(forward: geluErfForward, forwardNaive: geluErfForwardNaive,
                                 backward: geluErfBackward, backwardNaive: geluErfBackwardNaive,
                                 backwardUsesOutput: false, forwardTolerance: 1.5e-5,
                                 backwardTolerance: 2e-5, arena: arena)
    }

    /// Backward vs finite differences of the Double formulas; tolerance 1e-6 absolute + 1e-5
    /// relative (derivatives are O(1); Float evaluation plus the central difference's O(h²)).
    func testBackwardMatchesFiniteDifferences() {
        let x = grid(-7, 7, count: 1_001)
        let a = 0.7978845608028654, b = 0.044715
        checkBackwardAgainstFiniteDifferences(
            { x in x / (1 + exp(-2 * a * (x + b * x * x * x))) }, forward: geluForward,
            backward: geluBackward, backwardUsesOutput: false, inputs: x, absolute: 1e-6,
            relative: 1e-5, arena: arena)
        checkBackwardAgainstFiniteDifferences(
            { x in 0.5 * x * erfc(-x / 2.0.squareRoot()) }, forward: geluErfForward,
            backward: geluErfBackward, backwardUsesOutput: false, inputs: x, absolute: 1e-6,
            relative: 1e-5, arena: arena)
    }

    func testExtremeInputsGiveNoNaN() {
        let inf = Float.infinity
        let x: [Float] = [-inf, -3e38, -1e20, -1e5, -100, 100, 1e5, 1e20, 3e38, inf, 0, -0.0]
        for (forward, backward) in [(geluForward, geluBackward), (geluErfForward, geluErfBackward)]
            as [(ElementwiseForward, ElementwiseBackward)] {
            let out = apply(forward, x, arena: arena)
            XCTAssertEqual(Array(out[0..<5]), [0, 0, 0, 0, 0])
            XCTAssertEqual(Array(out[5..<10]), Array(x[5..<10]))
            XCTAssertEqual(Array(out[10..<12]), [0, 0])
            let dinp = apply(backward, dout: [Float](repeating: 1, count: x.count), saved: x, arena: arena)
            XCTAssertEqual(Array(dinp[0..<5]), [0, 0, 0, 0, 0])
            XCTAssertEqual(Array(dinp[5..<10]), [1, 1, 1, 1, 1])
            XCTAssertEqual(Array(dinp[10..<12]), [0.5, 0.5])
        }
    }
}
