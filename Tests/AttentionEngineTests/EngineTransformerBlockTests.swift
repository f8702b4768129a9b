import AttentionEngine
import XCTest

/// TransformerBlock: the pre-LN composition against the layers applied by hand, gradients of
/// encoder and decoder blocks by finite differences, nanoGPT parameter names, bad input.
final class EngineTransformerBlockTests: XCTestCase {
    func testEncoderBlockIsPreLNComposition() throws {
        var rng = Random(seed: 1)
        let block = try TransformerBlock(channels: 8, heads: 2, causal: false, rng: &rng)
        let x = randomTensor([2, 5, 8], seed: 2)
        let modules = Dictionary(uniqueKeysWithValues: block.children.map { ($0.name, $0.module) })
        let ln1 = modules["ln_1"] as! LayerNorm, ln2 = modules["ln_2"] as! LayerNorm
        let mlp = modules["mlp"] as! MLP
        let h = try x + block.attention(ln1(x)).output
        let expected = try h + mlp(ln2(h))
        assertBitwiseEqual(try block(x).scalars, expected.scalars)
    }

    func testGradients() throws {
        var rng = Random(seed: 3)
        let encoder = try TransformerBlock(channels: 8, heads: 2, causal: false, rng: &rng)
        let x = randomTensor([2, 4, 8], seed: 4), memory = randomTensor([2, 3, 8], seed: 5)
        try checkGradients(inputs: [x], parameters: encoder.parameters, samples: 6) {
            try encoder($0[0], keyPaddingMask: [false, false, false, true, false, false, false, false])
        }
        let decoder = try TransformerBlock(channels: 8, heads: 2, causal: true, crossAttention: true, rng: &rng)
        try checkGradients(inputs: [x, memory], parameters: decoder.parameters, samples: 6) {
            try decoder($0[0], memory: $0[1])
        }
    }

    func testParameterNames() throws {
        var rng = Random(seed: 1)
        let decoder = try TransformerBlock(channels: 8, heads: 2, causal: true, crossAttention: true, rng: &rng)
        XCTAssertEqual(decoder.namedParameters.map(\.name), [
            "ln_1.weight", "ln_1.bias", "attn.c_attn.weight", "attn.c_attn.bias", "attn.c_proj.weight", "attn.c_proj.bias",
            "ln_2.weight", "ln_2.bias", "cross_attn.q_proj.weight", "cross_attn.q_proj.bias",
            "cross_attn.kv_proj.weight", "cross_attn.kv_proj.bias", "cross_attn.c_proj.weight", "cross_attn.c_proj.bias",
            "ln_3.weight", "ln_3.bias", "mlp.c_fc.weight", "mlp.c_fc.bias", "mlp.c_proj.weight", "mlp.c_proj.bias",
        ])
        XCTAssertEqual(decoder.parameterCount, 3 * 16 + 8 * 24 + 24 + 8 * 8 + 8 + 8 * 8 + 8 + 16 * 8 + 16 + 8 * 8 + 8 + 32 * 8 + 32 + 8 * 32 + 8)
    }

    func testModuleListNamesByIndexAndPropagatesTraining() throws {
        var rng = Random(seed: 1)
        let list = ModuleList(try (0..<2).map { _ in try TransformerBlock(channels: 4, heads: 2, causal: true, rng: &rng) })
        let names = list.namedParameters.map(\.name)
        XCTAssertEqual(names.first, "0.ln_1.weight")
        XCTAssertEqual(names.last, "1.mlp.c_proj.bias")
        XCTAssertEqual(list.parameterCount, 2 * list[0].parameterCount)
        let dropouts = ModuleList([try Dropout(probability: 0.5, seed: 1), try Dropout(probability: 0.5, seed: 2)])
        dropouts.setTraining(false)
        XCTAssertFalse(dropouts[0].isTraining || dropouts[1].isTraining)
    }

    func testBadInput() {
        var rng = Random(seed: 1)
        assertThrowsAttentionError(["MultiHeadAttention", "channels: 6", "heads: 4"]) {
            _ = try TransformerBlock(channels: 6, heads: 4, causal: true, rng: &rng)
        }
        let decoder = try! TransformerBlock(channels: 4, heads: 2, causal: true, crossAttention: true, rng: &rng)
        assertThrowsAttentionError(["TransformerBlock", "memory"]) { _ = try decoder(Tensor.zeros([1, 2, 4])) }
        assertThrowsAttentionError(["LayerNorm(4)", "[1, 2, 3]"]) { _ = try decoder(Tensor.zeros([1, 2, 3])) }
    }

    /// Empty batches and sequences flow through every layer (and backward) without trapping.
    func testEmptyDimensions() throws {
        var rng = Random(seed: 2)
        let decoder = try TransformerBlock(channels: 8, heads: 2, causal: true, crossAttention: true, rng: &rng)
        let conv = try Conv1d(inChannels: 8, outChannels: 8, kernelSize: 3, padding: .causal, rng: &rng)
        let lstm = try LSTM(inputSize: 8, hiddenSize: 8, rng: &rng)
        for (batch, time) in [(0, 3), (2, 0), (0, 0)] {
            let x = try Tensor.zeros([batch, time, 8]).requiringGrad()
            let memory = try Tensor.zeros([batch, 2, 8])
            let y = try decoder(conv(x), memory: memory) + lstm(x).output
            XCTAssertEqual(y.shape, [batch, time, 8])
            try y.sum().backward()
        }
    }
}
