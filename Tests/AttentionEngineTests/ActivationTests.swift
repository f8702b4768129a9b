import AttentionEngine
import Foundation
import XCTest

/// ReLU, tanh and sigmoid: error bounds, the kernel contract, finite differences, extremes.
final class ActivationTests: XCTestCase {
    private let arena = TestArena()

    /// tanh and sigmoid within 3 ulp of Double over a dense grid of [-12, 12] (documented bound).
    func testErrorBounds() {
        let x = grid(-12, 12, count: 240_001)
        for (name, fast, naive) in [("tanh", tanhForward, tanhForwardNaive),
                                    ("sigmoid", sigmoidForward, sigmoidForwardNaive)]
            as [(String, ElementwiseForward, ElementwiseForward)] {
            let result = apply(fast, x, arena: arena), reference = apply(naive, x, arena: arena)
            for i in x.indices where !(abs(result[i] - reference[i]) <= 3 * reference[i].ulp) {
                XCTFail("\(name)(\(x[i])): \(result[i]) vs \(reference[i])")
                break
            }
        }
        // Tiny inputs keep their relative accuracy (no cancellation in tanh near 0).
        XCTAssertEqual(apply(tanhForward, [1e-6, -3e-20, 0], arena: arena), [1e-6, -3e-20, 0])
    }

    func testContracts() {
        checkElementwiseContract(forward: reluForward, forwardNaive: reluForwardNaive,
                                 backward: reluBackward, backwardNaive: reluBackwardNaive,
                                 backwardUsesOutput: false, forwardTolerance: 0,
                                 backwardTolerance: 0, arena: arena)
        checkElementwiseContract(forward: tanhForward, forwardNaive: tanhForwardNaive,
                                 backward: tanhBackward, backwardNaive: tanhBackwardNaive,
                                 backwardUsesOutput: true, forwardTolerance: 3e-7,
                                 backwardTolerance: 1e-6, arena: arena)
        checkElementwiseContract(forward: sigmoidForward, forwardNaive: sigmoidForwardNaive,
                                 backward: sigmoidBackward, backwardNaive: sigmoidBackwardNaive,
                                 backwardUsesOutput: true, forwardTolerance: 3e-7,
                                 backwardTolerance: 1e-6, arena: arena)
    }

    /// Backward vs finite differences in Double; tolerance 1e-6 absolute + 1e-5 relative (the
    /// kernels differentiate through the Float-rounded forward output). ReLU is checked away
    /// from its kink at 0.
    func testBackwardMatchesFiniteDifferences() {
        let x = grid(-6, 6, count: 1_000)  // even count: 0 is not on the grid
        checkBackwardAgainstFiniteDifferences({ max($0, 0) }, forward: reluForward, backward: reluBackward,
                                              backwardUsesOutput: false, inputs: x, absolute: 1e-6,
                                              relative: 1e-5, arena: arena)
        checkBackwardAgainstFiniteDifferences({ tanh($0) }, forward: tanhForward, backward: tanhBackward,
                                              backwardUsesOutput: true, inputs: x, absolute: 1e-6,
                                              relative: 1e-5, arena: arena)
        checkBackwardAgainstFiniteDifferences({ 1 / (1 + exp(-$0)) }, forward: sigmoidForward,
                                              backward: sigmoidBackward, backwardUsesOutput: true,
                                              inputs: x, absolute: 1e-6, relative: 1e-5, arena: arena)
    }

    func testExtremeInputs() {
        let inf = Float.infinity
        let x: [Float] = [-inf, -3e38, -100, 100, 3e38, inf]
        XCTAssertEqual(apply(tanhForward, x, arena: arena), [-1, -1, -1, 1, 1, 1])
        XCTAssertEqual(apply(sigmoidForward, x, arena: arena), [0, 0, 0, 1, 1, 1])
        XCTAssertEqual(apply(reluForward, x, arena: arena), [0, 0, 0, 100, 3e38, inf])
        XCTAssertTrue(apply(reluForward, [.nan], arena: arena)[0].isNaN, "ReLU propagates NaN")
        XCTAssertEqual(apply(reluBackward, dout: [1, 1, 1, 1], saved: [-1, 0, 1, .nan], arena: arena),
                       [0, 0, 1, 0])
    }
}
