import AttentionEngine
import XCTest

/// The models' training loss goes through the fused tied head (`tiedHeadLoss`): same loss and
/// parameter gradients as logits + crossEntropyLoss.
final class ModelFusedHeadLossTests: XCTestCase {
    /// GPT: loss within 1e-6 relative; every parameter gradient within 1e-6 absolute + 1e-4
    /// relative (the blocks' backward amplifies the head's last-bit differences a little).
    func testGPTLossMatchesLogitsAndCrossEntropy() throws {
        let config = GPTConfig(nLayer: 2, nHead: 2, nEmbd: 32, contextLength: 16, vocabularySize: 61)
        let gpt = try GPT(config: config, seed: 3)
        var random = TestRandom(seed: 5)
        let (batch, time) = (3, 16)
        let tokens = (0..<batch * time).map { _ in Int32(random.int(config.vocabularySize)) }
        let targets = (0..<batch * time).map { _ in Int32(random.int(config.vocabularySize)) }

        try assertFusedMatchesUnfused(gpt, fused: { try gpt.loss(tokens: tokens, targets: targets, batch: batch, time: time) },
                                      unfused: { try gpt.logits(tokens: tokens, batch: batch, time: time).crossEntropyLoss(targets: targets) })
    }

    /// Seq2Seq: a padded batch (PAD targets ignored) gives the same loss and gradients as
    /// logits + crossEntropyLoss(ignoreIndex: PAD), with the GPT test's tolerances.
    func testSeq2SeqLossIgnoresPaddingAsLogitsAndCrossEntropy() throws {
        let pairs = [DialoguePair(question: "你吃了吗？", answer: "吃了。"),
                     DialoguePair(question: "你今天忙不忙，晚上有空吗？", answer: "今天不太忙，晚上有空。")]
        let tokenizer = try CharTokenizer(corpus: pairs.map { $0.question + $0.answer }.joined())
        let config = Seq2SeqConfig(nEncoderLayer: 1, nDecoderLayer: 1, nHead: 2, nEmbd: 16, maxSourceLength: 20,
                                   maxTargetLength: 20, vocabularySize: tokenizer.vocabularySize)
        let model = try Seq2Seq(config: config, seed: 9)
        let data = try PairBatches(pairs: pairs, tokenizer: tokenizer, maxSourceLength: 20, maxTargetLength: 20)
        let batch = data.batch(indices: [0, 1])
        XCTAssertTrue(batch.targets.contains(CharTokenizer.pad), "the batch must contain ignored targets")

        try assertFusedMatchesUnfused(model, fused: { try model.loss(batch) },
                                      unfused: { try model.logits(batch).crossEntropyLoss(targets: batch.targets,
                                                                                          ignoreIndex: CharTokenizer.pad) })
    }

    /// The loss of `fused` within 1e-6 relative of `unfused`'s, and every parameter gradient of
    /// `model` within 1e-6 absolute + 1e-4 relative.
    private func assertFusedMatchesUnfused(_ model: any Module, fused: () throws -> Tensor,
                                           unfused: () throws -> Tensor) throws {
        func lossAndGradients(_ loss: () throws -> Tensor) throws -> (Float, [String: [Float]]) {
            model.zeroGrad()
            let value = try loss()
            try value.backward()
            var gradients: [String: [Float]] = [:]
            for (name, parameter) in model.namedParameters { gradients[name] = parameter.grad?.scalars }
            return (value.item, gradients)
        }
        let (fusedLoss, fusedGradients) = try lossAndGradients(fused)
        let (unfusedLoss, unfusedGradients) = try lossAndGradients(unfused)
        XCTAssertEqual(fusedLoss, unfusedLoss, accuracy: 1e-6 * unfusedLoss)
        XCTAssertEqual(Set(fusedGradients.keys), Set(unfusedGradients.keys))
        for (name, gradient) in unfusedGradients {
            assertClose(fusedGradients[name]!, gradient, absolute: 1e-6, relative: 1e-4, name)
        }
    }
}
