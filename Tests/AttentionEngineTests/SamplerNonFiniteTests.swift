import AttentionEngine
import XCTest

/// Issue 19: NaN or +inf logits (a model with non-finite weights) are an error, never a silent
/// PAD; −∞ still marks a token that must not be drawn.
final class SamplerNonFiniteTests: XCTestCase {
    func testNonFiniteLogitsThrowAtEveryTemperature() throws {
        for temperature: Float in [0, 0.8] {
            var sampler = try Sampler(SamplingOptions(temperature: temperature))
            for logits: [Float] in [[.nan, .nan, .nan], [1, .nan, 2], [1, .infinity, 2], [-.infinity, -.infinity]] {
                assertAttentionError(try sampler.sample(logits), .invalidArgument, ["logit"])
            }
        }
    }

    func testMinusInfinityIsNeverDrawn() throws {
        var sampler = try Sampler(SamplingOptions(temperature: 1))
        for _ in 0..<200 {
            let id = try sampler.sample([-.infinity, -.infinity, 0, 0.5])
            XCTAssertTrue(id == 2 || id == 3, "drew \(id)")
        }
    }

    func testNaNWeightsMakeGenerationFail() throws {
        let model = try GPT(config: GPTConfig(nLayer: 1, nHead: 1, nEmbd: 8, contextLength: 8, vocabularySize: 10), seed: 1)
        for (_, parameter) in model.namedParameters {
            try parameter.assign(Tensor(shape: parameter.shape, values: [Float](repeating: .nan, count: parameter.shape.reduce(1, *))))
        }
        assertAttentionError(try generate(model: model, prompt: [5], options: GenerationOptions(maxNewTokens: 3)),
                             .invalidArgument, ["non-finite"])
    }
}
