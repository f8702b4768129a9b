import AttentionEngine
import XCTest

final class ModelGPTTests: XCTestCase {
    private let tiny = GPTConfig(nLayer: 2, nHead: 2, nEmbd: 32, contextLength: 16, vocabularySize: 23)

    func testConfigValidation() {
        var bad = tiny
        bad.nHead = 3  // 32 % 3 != 0
        XCTAssertThrowsError(try GPT(config: bad, seed: 1))
        bad = tiny
        bad.contextLength = 0
        XCTAssertThrowsError(try GPT(config: bad, seed: 1))
        bad = tiny
        bad.dropout = 1
        XCTAssertThrowsError(try GPT(config: bad, seed: 1))
        XCTAssertEqual(try GPTConfig(dictionary: tiny.dictionary), tiny)
        XCTAssertThrowsError(try GPTConfig(dictionary: ["n_layer": "x"]))
    }

    func testParameterNamesFollowNanoGPT() throws {
        let gpt = try GPT(config: tiny, seed: 1)
        let shapes = Dictionary(uniqueKeysWithValues: gpt.namedParameters.map { ($0.name, $0.parameter.shape) })
        XCTAssertEqual(shapes["transformer.wte.weight"], [23, 32])
        XCTAssertEqual(shapes["transformer.wpe.weight"], [16, 32])
        XCTAssertEqual(shapes["transformer.h.1.ln_1.weight"], [32])
        XCTAssertEqual(shapes["transformer.h.1.attn.c_attn.weight"], [96, 32])
        XCTAssertEqual(shapes["transformer.h.1.attn.c_attn.bias"], [96])
        XCTAssertEqual(shapes["transformer.h.0.attn.c_proj.weight"], [32, 32])
        XCTAssertEqual(shapes["transformer.h.0.ln_2.bias"], [32])
        XCTAssertEqual(shapes["transformer.h.0.mlp.c_fc.weight"], [128, 32])
        XCTAssertEqual(shapes["transformer.h.0.mlp.c_proj.weight"], [32, 128])
        XCTAssertEqual(shapes["transformer.ln_f.weight"], [32])
        XCTAssertEqual(shapes.count, 2 + 2 * 12 + 2, "no separate lm_head: it is tied to wte")
        // GPT-2 init: biases zero, residual projections with std 0.02/√(2·n_layer).
        let bias = gpt.namedParameters.first { $0.name == "transformer.h.0.attn.c_attn.bias" }!.parameter
        XCTAssertEqual(bias.value.scalars, Array(repeating: 0, count: 96))
    }

    func testLogitsShapeAndErrors() throws {
        let gpt = try GPT(config: tiny, seed: 1)
        let logits = try gpt.logits(tokens: [1, 2, 3, 4, 5, 6], batch: 2, time: 3)
        XCTAssertEqual(logits.shape, [2, 3, 23])
        XCTAssertThrowsError(try gpt.logits(tokens: [1, 2, 3], batch: 2, time: 3))            // count
        XCTAssertThrowsError(try gpt.logits(tokens: [1, 23], batch: 1, time: 2))              // id ≥ V
        XCTAssertThrowsError(try gpt.logits(tokens: Array(repeating: 1, count: 17), batch: 1, time: 17))  // > block
        XCTAssertEqual(try gpt.logits(tokens: [], batch: 0, time: 5).shape, [0, 5, 23])
    }

    func testTiedHeadGetsGradientFromBothEnds() throws {
        let gpt = try GPT(config: tiny, seed: 2)
        try gpt.loss(tokens: [4, 5, 6], targets: [5, 6, 7], batch: 1, time: 3).backward()
        let grad = try XCTUnwrap(gpt.transformer.wte.weight.grad).scalars
        // Row 20 is never an input: its gradient comes from the tied head alone.
        XCTAssertGreaterThan(grad[20 * 32..<21 * 32].map(abs).max()!, 0)
    }

    /// Logits, loss and every parameter gradient are bitwise identical on 1, 2 and 3 threads
    /// (odd shapes: T = 13, C = 48, 3 heads of 16).
    func testBitwiseIdenticalAcrossThreadCounts() throws {
        let config = GPTConfig(nLayer: 2, nHead: 3, nEmbd: 48, contextLength: 13, vocabularySize: 17)
        var rng = TestRandom(seed: 3)
        let tokens = (0..<26).map { _ in Int32(rng.int(17)) }
        let targets = (0..<26).map { _ in Int32(rng.int(17)) }
        let runs = withThreadCounts { () -> [Float] in
            let gpt = try! GPT(config: config, seed: 9)
            let logits = try! gpt.logits(tokens: tokens, batch: 2, time: 13)
            let loss = try! logits.crossEntropyLoss(targets: targets)
            try! loss.backward()
            return logits.scalars + [loss.item] + gpt.parameters.flatMap { $0.grad!.scalars }
        }
        assertBitwiseEqual(runs[0], runs[1])
        assertBitwiseEqual(runs[0], runs[2])
    }

    /// Issue: the GPT overfits one batch (loss < 0.05).
    func testOverfitsOneBatch() throws {
        let text = "你吃了吗？吃了！今天天气很好。道可道，非常道。名可名，非常名。"
        let tokenizer = try CharTokenizer(corpus: text)
        let ids = tokenizer.encode(text)
        let config = GPTConfig(nLayer: 2, nHead: 2, nEmbd: 32, contextLength: 16, vocabularySize: tokenizer.vocabularySize)
        let gpt = try GPT(config: config, seed: 4)
        let batch = TokenBatch(inputs: Array(ids[0..<16]) + Array(ids[8..<24]),
                               targets: Array(ids[1..<17]) + Array(ids[9..<25]), batch: 2, time: 16)
        let trainer = try Trainer(module: gpt, config: TrainingConfig(steps: 150, batchSize: 2, learningRate: 1e-2,
                                                                     warmupSteps: 10, weightDecay: 0),
                                  trainingLoss: { _ in
            (try gpt.loss(tokens: batch.inputs, targets: batch.targets, batch: 2, time: 16), 32)
        }, validationLoss: { _ in 0 })
        let history = try trainer.run()
        XCTAssertGreaterThan(history[0].loss, 2.5)  // ≈ ln(vocab) at init
        XCTAssertLessThan(history.last!.loss, 0.05)
    }
}
