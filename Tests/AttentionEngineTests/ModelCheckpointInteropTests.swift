import AttentionEngine
import XCTest

/// GPT checkpoints written by other tools load into the engine and give their logits:
///
/// - Fixtures/gpt_numpy*.safetensors come from Fixtures/make_gpt_fixture.py: nanoGPT-layout
///   weights and a numpy float64 re-implementation of nanoGPT's forward pass (the reference in CI).
/// - Fixtures/gpt_torch*.safetensors come from scripts/export_nanogpt.py --fixture: a nanoGPT
///   `torch.nn.Module` exported with its state dict (including the `attn.bias` mask buffers and
///   the tied `lm_head.weight`), logits from PyTorch in float64.
///
/// Tolerance 1e-4 (absolute, logits of magnitude ≤ 0.5): float32 accumulation in the engine
/// against float64 references gives ~1e-6; a layout mistake (q/k/v order, a transposed
/// matrix) moves the logits by ~0.3. The engine's MLP uses the exact GELU like nanoGPT; the
/// numpy fixture also holds tanh-GELU logits, which differ by < 1e-6 at these small weights, so
/// the GELU choice itself is covered by the engine's activation tests.
final class ModelCheckpointInteropTests: XCTestCase {
    private var fixtures: String {
        let path = "\(#filePath)"
        return path[..<(path.lastIndex(of: "/") ?? path.startIndex)] + "/Fixtures"
    }

    /// Loads `name`.safetensors and checks the logits of every sequence in
    /// `name`_expected.safetensors: `logits.{k}` within 1e-4, and `<extra>.{k}` within its tolerance.
    private func checkLogits(_ name: String, extra: [(prefix: String, tolerance: Float)] = []) throws -> ModelCheckpoint {
        let checkpoint = try ModelCheckpoint.load(path: "\(fixtures)/\(name).safetensors")
        let expected = try SafeTensorsFile.read(path: "\(fixtures)/\(name)_expected.safetensors")
        let model = try XCTUnwrap(checkpoint.languageModel)
        model.setTraining(false)
        var sequences = 0
        while let tokens = try? expected.tensor(named: "tokens.\(sequences)") {
            let ids = tokens.data.map { Int32($0) }
            let logits = try model.logits(tokens: ids, batch: 1, time: ids.count).scalars
            let shape = [ids.count, model.vocabularySize]
            assertClose(logits, try expected.tensor(named: "logits.\(sequences)", shape: shape), absolute: 1e-4,
                        "\(name) sequence \(sequences)")
            for (prefix, tolerance) in extra {
                assertClose(logits, try expected.tensor(named: "\(prefix).\(sequences)", shape: shape),
                            absolute: tolerance, "\(name) \(prefix) sequence \(sequences)")
            }
            sequences += 1
        }
        XCTAssertEqual(sequences, 3)
        return checkpoint
    }

    func testNumpyReferenceLogits() throws {
        let checkpoint = try checkLogits("gpt_numpy", extra: [("logits", 1e-5)])
        XCTAssertEqual((checkpoint.model as? GPT)?.config,
                       GPTConfig(nLayer: 2, nHead: 4, nEmbd: 32, contextLength: 16, vocabularySize: 19))
        XCTAssertEqual(try checkpoint.tokenizer?.decode([4, 6, 7, 17]), "\n。一者")
    }

    func testPyTorchNanoGPTExportLogits() throws {
        let checkpoint = try checkLogits("gpt_torch")
        XCTAssertEqual((checkpoint.model as? GPT)?.config,
                       GPTConfig(nLayer: 2, nHead: 2, nEmbd: 32, contextLength: 16, vocabularySize: 37))
        XCTAssertNil(checkpoint.tokenizer)
    }
}
