import AttentionEngine
import Foundation
import XCTest

/// Linear layer and the `linear` op: forward against a Double loop, finite-difference gradients,
/// shape errors, and the single neuron y = σ(a·x + b) recovering a and b.
final class EngineLinearTests: XCTestCase {
    func testForwardMatchesNaive() throws {
        var rng = Random(seed: 1)
        for (n, inFeatures, outFeatures) in [(1, 1, 1), (3, 17, 5), (5, 63, 65), (2, 3, 0), (0, 4, 3), (2, 0, 3)] {
            let layer = try Linear(inFeatures: inFeatures, outFeatures: outFeatures, rng: &rng)
            let x = randomTensor([n, inFeatures], seed: 2)
            let y = try layer(x).scalars
            let w = layer.weight.value.scalars, b = layer.bias!.value.scalars, xs = x.scalars
            var expected: [Float] = []
            for i in 0..<n {
                for o in 0..<outFeatures {
                    var s = Double(b[o])
                    for k in 0..<inFeatures { s += Double(xs[i * inFeatures + k]) * Double(w[o * inFeatures + k]) }
                    expected.append(Float(s))
                }
            }
            // Float dot products of ≤ 63 terms of size ≤ 1: 1e-5 absolute.
            assertClose(y, expected, absolute: 1e-5, "n \(n) in \(inFeatures) out \(outFeatures)")
        }
    }

    func testGradients() throws {
        var rng = Random(seed: 3)
        for (inFeatures, outFeatures) in [(1, 1), (3, 17), (17, 3)] {
            let layer = try Linear(inFeatures: inFeatures, outFeatures: outFeatures, rng: &rng)
            try checkGradients(inputs: [randomTensor([2, 3, inFeatures], seed: 4)], parameters: layer.parameters) {
                try layer($0[0])
            }
        }
        let noBias = try Linear(inFeatures: 5, outFeatures: 4, bias: false, rng: &rng)
        XCTAssertEqual(noBias.namedParameters.map(\.name), ["weight"])
        try checkGradients(inputs: [randomTensor([3, 5], seed: 5)], parameters: noBias.parameters) { try noBias($0[0]) }
    }

    func testShapeErrors() {
        var rng = Random(seed: 1)
        assertThrowsAttentionError(["Linear", "-2"]) { _ = try Linear(inFeatures: -2, outFeatures: 3, rng: &rng) }
        let layer = try! Linear(inFeatures: 4, outFeatures: 3, rng: &rng)
        assertThrowsAttentionError(["Linear(4 → 3)", "[2, 5]"]) { _ = try layer(Tensor.zeros([2, 5])) }
    }

    /// y = σ(a·x + b) with a = 1.5, b = −0.5 on 64 noise-free points in [−3, 3): full-batch SGD
    /// with momentum on the MSE recovers a and b within 1e-2.
    func testSingleNeuronRecoversParameters() throws {
        let (a, b): (Float, Float) = (1.5, -0.5)
        let xs = (0..<64).map { Float($0) / 64 * 6 - 3 }
        let x = try Tensor(shape: [64, 1], values: xs)
        let y = try Tensor(shape: [64, 1], values: xs.map { 1 / (1 + exp(-(a * $0 + b))) })
        var rng = Random(seed: 11)
        let neuron = try Linear(inFeatures: 1, outFeatures: 1, rng: &rng)
        let optimizer = try SGD(neuron.parameters, learningRate: 2, momentum: 0.9)
        for _ in 0..<600 {
            optimizer.zeroGrad()
            try neuron(x).sigmoid().mseLoss(y).backward()
            optimizer.step()
        }
        XCTAssertEqual(neuron.weight.value.item, a, accuracy: 1e-2)
        XCTAssertEqual(neuron.bias!.value.item, b, accuracy: 1e-2)
    }
}
