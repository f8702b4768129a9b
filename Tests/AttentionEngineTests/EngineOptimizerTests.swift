import AttentionEngine
import Foundation
import XCTest

/// SGD variants against the torch.optim.SGD rule and Adam/AdamW against theirs, evaluated in
/// Double; gradient clipping; learning-rate schedules.
final class EngineOptimizerTests: XCTestCase {
    /// Three steps on f(p) = Σ c·p² (gradient 2c·p) for each SGD variant; 17 elements cover the
    /// SIMD body and tail. Tolerance 1e-5 relative: a few Float roundings per step.
    func testSGDMatchesReferenceRule() throws {
        let c = randomTensor([17], seed: 1, 0.5, 1.5)
        let initial = randomTensor([17], seed: 2)
        for (momentum, nesterov, decay) in [(Float(0), false, Float(0)), (0.9, false, 0), (0.9, true, 0.01), (0, false, 0.1)] {
            let parameter = Parameter(initial)
            let optimizer = try SGD([parameter], learningRate: 0.1, momentum: momentum,
                                    nesterov: nesterov, weightDecay: decay)
            var p = initial.scalars.map(Double.init), v = [Double](repeating: 0, count: 17)
            for step in 0..<3 {
                optimizer.zeroGrad()
                try (c * parameter.value * parameter.value).sum().backward()
                optimizer.step()
                for i in 0..<17 {
                    var g = 2 * Double(c.scalars[i]) * p[i] + Double(decay) * p[i]
                    if momentum > 0 {
                        v[i] = step == 0 ? g : Double(momentum) * v[i] + g
                        g = nesterov ? g + Double(momentum) * v[i] : v[i]
                    }
                    p[i] -= 0.1 * g
                }
            }
            assertClose(parameter.value.scalars, p.map(Float.init), absolute: 1e-6, relative: 1e-5,
                        "momentum \(momentum) nesterov \(nesterov) decay \(decay)")
        }
    }

    /// Three steps on f(p) = Σ c·p² against Adam / AdamW in Double (1e-5 relative).
    func testAdamMatchesReferenceRule() throws {
        let c = randomTensor([17], seed: 1, 0.5, 1.5), initial = randomTensor([17], seed: 2)
        for (decay, decoupled) in [(Float(0), false), (0.1, false), (0.1, true)] {
            let parameter = Parameter(initial)
            let optimizer = try Adam([parameter], learningRate: 0.01, weightDecay: decay, decoupledWeightDecay: decoupled)
            var p = initial.scalars.map(Double.init)
            var m = [Double](repeating: 0, count: 17), v = m
            for step in 1...3 {
                optimizer.zeroGrad()
                try (c * parameter.value * parameter.value).sum().backward()
                optimizer.step()
                for i in 0..<17 {
                    var g = 2 * Double(c.scalars[i]) * p[i]
                    if !decoupled { g += Double(decay) * p[i] }
                    m[i] = 0.9 * m[i] + 0.1 * g
                    v[i] = 0.999 * v[i] + 0.001 * g * g
                    let mHat = m[i] / (1 - pow(0.9, Double(step))), vHat = v[i] / (1 - pow(0.999, Double(step)))
                    p[i] -= 0.01 * (mHat / (vHat.squareRoot() + 1e-8) + (decoupled ? Double(decay) * p[i] : 0))
                }
            }
            assertClose(parameter.value.scalars, p.map(Float.init), absolute: 1e-6, relative: 1e-5,
                        "decay \(decay) decoupled \(decoupled)")
        }
        assertThrowsAttentionError(["Adam", "betas"]) { _ = try Adam([], learningRate: 0.1, beta1: 1) }
    }

    func testSGDValidatesArguments() {
        assertThrowsAttentionError(["SGD", "-1"]) { _ = try SGD([], learningRate: -1) }
        assertThrowsAttentionError(["Nesterov"]) { _ = try SGD([], learningRate: 1, nesterov: true) }
    }

    func testGradientNormClipping() throws {
        let a = Parameter(Tensor([3, 0])), b = Parameter(Tensor([4]))
        try (a.value * Tensor([1, 1])).sum().backward()  // grad a = [1, 1]
        try (b.value * 1).sum().backward()               // grad b = [1]
        let norm = try clipGradientNorm([a, b], maxNorm: 1)
        XCTAssertEqual(norm, Float(3).squareRoot(), accuracy: 1e-6)
        let scale = 1 / (Float(3).squareRoot() + 1e-6)
        assertClose(a.grad!.scalars + b.grad!.scalars, [scale, scale, scale], absolute: 1e-7)
        // Below the limit nothing changes.
        XCTAssertEqual(try clipGradientNorm([a, b], maxNorm: 10), 1, accuracy: 1e-5)
        assertClose(a.grad!.scalars, [scale, scale], absolute: 1e-7)
        assertThrowsAttentionError(["maxNorm"]) { try clipGradientNorm([a], maxNorm: 0) }
    }

    func testSchedules() throws {
        XCTAssertEqual(ConstantLearningRate(0.3).learningRate(at: 1000), 0.3)
        let s = try WarmupCosineLearningRate(peak: 1, minimum: 0.1, warmupSteps: 10, totalSteps: 110)
        XCTAssertEqual(s.learningRate(at: 0), 0.1, accuracy: 1e-7)
        XCTAssertEqual(s.learningRate(at: 9), 1, accuracy: 1e-7)
        XCTAssertEqual(s.learningRate(at: 10), 1, accuracy: 1e-7)
        XCTAssertEqual(s.learningRate(at: 60), 0.55, accuracy: 1e-6)  // halfway: cos = 0
        XCTAssertEqual(s.learningRate(at: 110), 0.1, accuracy: 1e-7)
        XCTAssertEqual(s.learningRate(at: 500), 0.1)
        assertThrowsAttentionError(["warmup"]) { _ = try WarmupCosineLearningRate(peak: 1, warmupSteps: 5, totalSteps: 2) }
    }
}
