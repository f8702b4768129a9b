import AttentionEngine
import XCTest

final class ModelConvolutionalTests: XCTestCase {
    /// Issue: the CNN LM lowers the validation loss on the default corpus (by > 1 nat after 60 steps).
    func testLowersValidationLoss() throws {
        let (tokenizer, data) = try defaultCorpusBatches(length: 32)
        let model = try ConvolutionalLM(config: ConvolutionalLMConfig(nLayer: 3, nEmbd: 64, kernelSize: 3, contextLength: 32,
                                                                      vocabularySize: tokenizer.vocabularySize), seed: 2)
        let (before, after) = try validationLossBeforeAndAfter(model, data: data, steps: 60)
        XCTAssertGreaterThan(before, 6.5)
        XCTAssertLessThan(after, before - 1)
    }

    /// Causal: changing token t changes no logits before t, and changes those within the
    /// receptive field after it (1 + 2·(2³ − 1) = 15 tokens).
    func testCausalWithReceptiveField() throws {
        let config = ConvolutionalLMConfig(nLayer: 3, nEmbd: 16, kernelSize: 3, contextLength: 40, vocabularySize: 11)
        XCTAssertEqual(config.receptiveField, 15)
        let model = try ConvolutionalLM(config: config, seed: 3)
        var tokens = (0..<40).map { Int32($0 % 11) }
        let a = try model.logits(tokens: tokens, batch: 1, time: 40).scalars
        tokens[10] = 0
        let b = try model.logits(tokens: tokens, batch: 1, time: 40).scalars
        for t in 0..<40 {
            let changed = Array(a[t * 11..<(t + 1) * 11]) != Array(b[t * 11..<(t + 1) * 11])
            XCTAssertEqual(changed, (10..<25).contains(t), "position \(t)")
        }
    }

    func testNamesConfigAndThreads() throws {
        let config = ConvolutionalLMConfig(nLayer: 2, nEmbd: 12, kernelSize: 2, contextLength: 13, vocabularySize: 19)
        let names = try ConvolutionalLM(config: config, seed: 1).namedParameters.map(\.name)
        XCTAssertEqual(names, ["wte.weight", "ln.0.weight", "ln.0.bias", "ln.1.weight", "ln.1.bias", "conv.0.weight",
                               "conv.0.bias", "conv.1.weight", "conv.1.bias", "ln_f.weight", "ln_f.bias"])
        var bad = config
        bad.kernelSize = 1
        XCTAssertThrowsError(try ConvolutionalLM(config: bad, seed: 1))
        let runs = withThreadCounts { () -> [Float] in
            let model = try! ConvolutionalLM(config: config, seed: 1)
            let loss = try! model.loss(tokens: (0..<26).map { Int32($0 % 19) }, targets: (1..<27).map { Int32($0 % 19) },
                                       batch: 2, time: 13)
            try! loss.backward()
            return [loss.item] + model.parameters.flatMap { $0.grad!.scalars }
        }
        assertBitwiseEqual(runs[0], runs[1])
        assertBitwiseEqual(runs[0], runs[2])
        let generated = try generate(model: try ConvolutionalLM(config: config, seed: 1), prompt: [1],
                                     options: GenerationOptions(maxNewTokens: 20, stopAtEOS: false))
        XCTAssertEqual(generated.tokens.count, 20)
    }
}
