import AttentionEngine
import XCTest

/// Checkpoints written before the model code was consolidated (issue 12) still load and give
/// the same outputs: Fixtures/{gpt,seq2seq,rnn,cnn}_v1.safetensors hold a small model of each
/// kind after 3 training steps (with the training state: AdamW moments, random streams, schedule),
/// written by the engine at commit 85b48dc; Fixtures/<kind>_v1_expected.safetensors hold what
/// that engine computed from them: the logits of a prompt (or of a padded seq2seq batch), 8 (6)
/// greedy tokens generated with the KV cache or recurrent state and their logits, and the
/// attention maps of the attention models.
///
/// Tolerance 1e-5 (absolute, logits of magnitude ≤ 5): the same float32 operations in the same
/// order give the same bits; the slack only admits a different summation order. A changed
/// tensor layout or block wiring moves the logits by ~0.1.
final class ModelCheckpointFixtureTests: XCTestCase {
    private var fixtures: String {
        let path = "\(#filePath)"
        return path[..<(path.lastIndex(of: "/") ?? path.startIndex)] + "/Fixtures"
    }

    private func load(_ kind: String) throws -> (ModelCheckpoint, SafeTensorsFile) {
        let checkpoint = try ModelCheckpoint.load(path: "\(fixtures)/\(kind)_v1.safetensors")
        let expected = try SafeTensorsFile.read(path: "\(fixtures)/\(kind)_v1_expected.safetensors")
        checkpoint.model.setTraining(false)
        let training = try XCTUnwrap(checkpoint.training, kind)
        XCTAssertEqual(training.step, 3, kind)
        XCTAssertEqual(training.optimizerStep, 3, kind)
        XCTAssertEqual(Set(training.moments.keys), Set(checkpoint.model.namedParameters.map(\.name)), kind)
        XCTAssertNotNil(training.randomStates[TrainingState.trainerRandomKey], kind)
        XCTAssertNil(training.stepSettings, "\(kind): written before the step settings were recorded")
        XCTAssertNotNil(checkpoint.tokenizer, kind)
        return (checkpoint, expected)
    }

    private func ids(_ file: SafeTensorsFile, _ name: String) throws -> [Int32] {
        try file.tensor(named: name).data.map { Int32($0) }
    }

    func testLanguageModelFixturesGiveTheirRecordedLogitsAndTokens() throws {
        for kind in ["gpt", "rnn", "cnn"] {
            let (checkpoint, expected) = try load(kind)
            let model = try XCTUnwrap(checkpoint.languageModel, kind)
            let prompt = try ids(expected, "tokens")
            assertClose(try model.logits(tokens: prompt, batch: 1, time: prompt.count).scalars,
                        try expected.tensor(named: "logits").data, absolute: 1e-5, "\(kind) logits")
            let result = try generate(model: model, prompt: prompt,
                                      options: GenerationOptions(maxNewTokens: 8, stopAtEOS: false, recordLogits: true))
            XCTAssertEqual(result.tokens, try ids(expected, "generated"), kind)
            assertClose(result.logits.flatMap { $0 }, try expected.tensor(named: "generated_logits").data,
                        absolute: 1e-5, "\(kind) generated logits")
            if let gpt = model as? GPT {
                let maps = try gpt.inspectAttention(prompt: prompt)
                assertClose(maps.flatMap(\.weights.scalars), try expected.tensor(named: "attention").data,
                            absolute: 1e-5, "gpt attention")
            }
        }
    }

    func testSeq2SeqFixtureGivesItsRecordedLogitsAnswerAndAttention() throws {
        let (checkpoint, expected) = try load("seq2seq")
        let model = try XCTUnwrap(checkpoint.model as? Seq2Seq)
        // The padded batch rebuilt from its rows: questions without PAD, answers without BOS and PAD.
        let source = try expected.tensor(named: "source"), decoderInput = try expected.tensor(named: "decoder_input")
        let rows = (0..<source.shape[0]).map { row in
            (question: source.data[row * source.shape[1]..<(row + 1) * source.shape[1]].map { Int32($0) }
                .filter { $0 != CharTokenizer.pad },
             answer: decoderInput.data[row * decoderInput.shape[1] + 1..<(row + 1) * decoderInput.shape[1]]
                .map { Int32($0) }.filter { $0 != CharTokenizer.pad })
        }
        let batch = PairBatch(rows: rows)
        XCTAssertEqual(batch.source, try ids(expected, "source"))
        XCTAssertEqual(batch.sourcePaddingMask, try expected.tensor(named: "source_padding").data.map { $0 != 0 })
        XCTAssertEqual(batch.decoderInput, try ids(expected, "decoder_input"))
        XCTAssertEqual(batch.targets, try ids(expected, "targets"))
        assertClose(try model.logits(batch).scalars, try expected.tensor(named: "logits").data, absolute: 1e-5,
                    "seq2seq logits")
        let question = try ids(expected, "question"), answer = try ids(expected, "answer")
        let result = try model.answer(question: question,
                                      options: GenerationOptions(maxNewTokens: 6, stopAtEOS: false, recordLogits: true))
        XCTAssertEqual(result.tokens, try ids(expected, "generated"))
        assertClose(result.logits.flatMap { $0 }, try expected.tensor(named: "generated_logits").data, absolute: 1e-5,
                    "seq2seq generated logits")
        let maps = try model.inspectAttention(question: question, answer: answer)
        assertClose(maps.flatMap(\.weights.scalars), try expected.tensor(named: "attention").data, absolute: 1e-5,
                    "seq2seq attention")
    }
}
