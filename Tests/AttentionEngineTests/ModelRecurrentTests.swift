import AttentionEngine
import XCTest

final class ModelRecurrentTests: XCTestCase {
    /// Issue: the GRU LM lowers the validation loss on the default corpus (by > 1 nat from
    /// ≈ ln V ≈ 7 after 60 steps; the LSTM too).
    func testGRUAndLSTMLowerValidationLoss() throws {
        let (tokenizer, data) = try defaultCorpusBatches(length: 32)
        for cell in [RecurrentLMConfig.Cell.gru, .lstm] {
            let model = try RecurrentLM(config: RecurrentLMConfig(cell: cell, nLayer: 1, nEmbd: 48, hiddenSize: 96,
                                                                  contextLength: 32, vocabularySize: tokenizer.vocabularySize), seed: 2)
            let (before, after) = try validationLossBeforeAndAfter(model, data: data, steps: 60)
            XCTAssertGreaterThan(before, 6.5, "\(cell)")
            XCTAssertLessThan(after, before - 1, "\(cell)")
        }
    }

    /// The carried state gives the same tokens and logits as recomputing the window (within 1e-5)
    /// while the sequence fits the window.
    func testStatefulAndWindowGenerationAgree() throws {
        for cell in [RecurrentLMConfig.Cell.gru, .lstm] {
            let model = try RecurrentLM(config: RecurrentLMConfig(cell: cell, nLayer: 2, nEmbd: 17, hiddenSize: 33,
                                                                  contextLength: 40, vocabularySize: 31), seed: 4)
            var options = GenerationOptions(maxNewTokens: 30, sampling: SamplingOptions(temperature: 1, seed: 5),
                                            stopAtEOS: false, recordLogits: true)
            let cached = try generate(model: model, prompt: [1, 9, 4], options: options)
            options.useCache = false
            let window = try generate(model: model, prompt: [1, 9, 4], options: options)
            XCTAssertEqual(cached.tokens, window.tokens)
            for (a, b) in zip(cached.logits, window.logits) { assertClose(a, b, absolute: 1e-5) }
        }
    }

    func testNamesConfigAndThreads() throws {
        let config = RecurrentLMConfig(cell: .lstm, nLayer: 2, nEmbd: 8, hiddenSize: 12, contextLength: 9, vocabularySize: 20)
        let model = try RecurrentLM(config: config, seed: 1)
        XCTAssertEqual(model.namedParameters.map(\.name).prefix(6),
                       ["wte.weight", "rnn.0.weight_ih", "rnn.0.weight_hh", "rnn.0.bias_ih", "rnn.0.bias_hh", "rnn.1.weight_ih"])
        XCTAssertEqual(model.namedParameters.first { $0.name == "rnn.1.weight_ih" }!.parameter.shape, [48, 12])
        XCTAssertEqual(model.configDictionary["cell"], "lstm")
        var bad = config
        bad.hiddenSize = 0
        XCTAssertThrowsError(try RecurrentLM(config: bad, seed: 1))
        let runs = withThreadCounts { () -> [Float] in
            let model = try! RecurrentLM(config: config, seed: 1)
            let loss = try! model.loss(tokens: (0..<18).map { Int32($0) }, targets: (1..<19).map { Int32($0) }, batch: 2, time: 9)
            try! loss.backward()
            return [loss.item] + model.parameters.flatMap { $0.grad!.scalars }
        }
        assertBitwiseEqual(runs[0], runs[1])
        assertBitwiseEqual(runs[0], runs[2])
    }
}
