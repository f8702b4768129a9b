import AttentionEngine
import Foundation
import XCTest

/// The activation ops through the tape: values and finite-difference gradients.
final class EngineNonlinearityTests: XCTestCase {
    /// References in Double.
    private func reference(_ activation: Activation, _ v: Double) -> Double {
        switch activation {
        case .sigmoid: return 1 / (1 + exp(-v))
        case .tanh: return Foundation.tanh(v)
        case .relu: return max(v, 0)
        case .gelu: return 0.5 * v * (1 + Foundation.tanh(0.7978845608028654 * (v + 0.044715 * v * v * v)))
        case .identity: return v
        }
    }

    func testValues() {
        let x = Tensor([-2, 0, 0.5, 3, -0.25])
        for activation in Activation.allCases {
            // Kernel accuracy: a few ulp of values ≤ 3.
            let expected = x.scalars.map { Float(reference(activation, Double($0))) }
            assertClose(activation(x).scalars, expected, absolute: 1e-6, relative: 1e-5, "\(activation)")
        }
    }

    func testGradients() throws {
        // Inputs kept ≥ 0.05 away from ReLU's kink so the central difference is exact there.
        var x = randomTensor([3, 17], seed: 1, -3, 3)
        x.withUnsafeMutableBufferPointer { p in for i in p.indices where abs(p[i]) < 0.05 { p[i] = 0.3 } }
        for activation in Activation.allCases {
            try checkGradients(inputs: [x]) { activation($0[0]) }
        }
    }

    /// The exact GELU of the transformer MLP: values against erf in Double, gradients by finite
    /// differences.
    func testExactGELU() throws {
        let x = Tensor([-4, -2.7, -0.5, 0, 0.3, 1, 3])
        let expected = x.scalars.map { Float(0.5 * Double($0) * (1 + erf(Double($0) / 2.squareRoot()))) }
        assertClose(x.geluExact().scalars, expected, absolute: 1e-6, relative: 1e-5)
        try checkGradients(inputs: [randomTensor([3, 17], seed: 2, -3, 3)]) { $0[0].geluExact() }
    }
}
