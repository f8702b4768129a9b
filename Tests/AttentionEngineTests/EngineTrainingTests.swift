import AttentionEngine
import Foundation
import XCTest

/// End-to-end training: XOR with a 2-layer MLP, and determinism (same seed → bitwise-identical parameters, on 1, 2 and 3 threads).
final class EngineTrainingTests: XCTestCase {
    func testMLPLearnsXORExactly() throws {
        var rng = Random(seed: 3)
        let hidden = try Linear(inFeatures: 2, outFeatures: 8, rng: &rng)
        let output = try Linear(inFeatures: 8, outFeatures: 1, rng: &rng)
        let x = try Tensor([[0, 0], [0, 1], [1, 0], [1, 1]]), y = try Tensor(shape: [4, 1], values: [0, 1, 1, 0])
        let parameters = hidden.parameters + output.parameters
        let optimizer = try SGD(parameters, learningRate: 0.5, momentum: 0.9)
        for _ in 0..<400 {
            optimizer.zeroGrad()
            try output(hidden(x).tanh()).sigmoid().mseLoss(y).backward()
            optimizer.step()
        }
        let prediction = try Autograd.withNoGrad { try output(hidden(x).tanh()).sigmoid() }.scalars
        XCTAssertEqual(prediction.map { $0 > 0.5 ? Float(1) : 0 }, y.scalars)
        assertClose(prediction, y.scalars, absolute: 0.1)
    }

    /// A few AdamW steps of a GPT-style block (with dropout and clipping), sized so that the
    /// kernels and ops split work across threads: the parameters must be bitwise identical for
    /// the same seed, whatever the thread count.
    private func trainBlock(steps: Int = 3) -> [[Float]] {
        var rng = Random(seed: 99)
        let block = try! TransformerBlock(channels: 64, heads: 4, causal: true, rng: &rng)
        let dropout = try! Dropout(probability: 0.1, seed: 5)
        let x = try! Tensor.normal([4, 64, 64], using: &rng), target = try! Tensor.normal([4, 64, 64], using: &rng)
        let schedule = try! WarmupCosineLearningRate(peak: 1e-3, warmupSteps: 1, totalSteps: 3)
        let optimizer = try! Adam.adamW(block.parameters, learningRate: 0)
        for step in 0..<steps {
            optimizer.zeroGrad()
            try! dropout(block(x)).mseLoss(target).backward()
            try! clipGradientNorm(block.parameters, maxNorm: 1)
            optimizer.learningRate = schedule.learningRate(at: step)
            optimizer.step()
        }
        return block.parameters.map(\.value.scalars)
    }

    func testSameSeedGivesBitwiseIdenticalParameters() {
        let runs = withThreadCounts([1, 2, 3, 2]) { trainBlock() }
        for run in runs.dropFirst() {
            for (a, b) in zip(runs[0], run) { assertBitwiseEqual(a, b) }
        }
        // Training moved every parameter tensor away from its (seeded) initial value.
        for (trained, initial) in zip(runs[0], trainBlock(steps: 0)) { XCTAssertNotEqual(trained, initial) }
    }
}
