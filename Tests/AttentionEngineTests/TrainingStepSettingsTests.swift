import AttentionEngine
import XCTest

/// A training state records the settings every step depends on besides the schedule (batch
/// size, AdamW's weight decay and betas, the gradient clip), so resuming with other settings,
/// which would not continue the same run, is an error naming the setting; checkpoints written
/// before the settings were recorded still restore.
final class TrainingStepSettingsTests: XCTestCase {
    private let text = String(DefaultData.corpus.prefix(600))

    private func trainer(_ config: TrainingConfig) throws -> (Trainer, GPT, CharTokenizer) {
        let tokenizer = try CharTokenizer(corpus: text)
        let data = try TextBatches(text: text, tokenizer: tokenizer, contextLength: 12)
        let gpt = try GPT(config: GPTConfig(nLayer: 1, nHead: 2, nEmbd: 16, contextLength: 12,
                                            vocabularySize: tokenizer.vocabularySize), seed: 3)
        return (try Trainer(model: gpt, data: data, config: config), gpt, tokenizer)
    }

    private let base = TrainingConfig(steps: 6, batchSize: 4, learningRate: 3e-3, warmupSteps: 2, seed: 7)

    func testSettingsAreRecordedAndSurviveACheckpoint() throws {
        let (trainer, gpt, tokenizer) = try trainer(base)
        _ = try trainer.run { $0.step < 2 }
        let state = trainer.trainingState()
        XCTAssertEqual(state.stepSettings, TrainingState.StepSettings(batchSize: 4, weightDecay: 0.1, beta1: 0.9,
                                                                      beta2: 0.99, gradientClip: 1))
        let loaded = try ModelCheckpoint.load(bytes: ModelCheckpoint(model: gpt, tokenizer: tokenizer, training: state).bytes())
        XCTAssertEqual(loaded.training?.stepSettings, state.stepSettings)

        var unclipped = base
        unclipped.gradientClip = nil
        let (other, otherModel, _) = try self.trainer(unclipped)
        let noClip = try ModelCheckpoint.load(bytes: ModelCheckpoint(model: otherModel, tokenizer: tokenizer,
                                                                     training: other.trainingState()).bytes())
        XCTAssertNil(try XCTUnwrap(noClip.training?.stepSettings).gradientClip)
    }

    func testRestoreRefusesOtherSettingsNamingThem() throws {
        let (first, _, _) = try trainer(base)
        _ = try first.run { $0.step < 2 }
        let state = first.trainingState()
        let changes: [(String, (inout TrainingConfig) -> Void)] = [
            ("batch_size 4, this trainer has 8", { $0.batchSize = 8 }),
            ("weight_decay 0.1, this trainer has 0.0", { $0.weightDecay = 0 }),
            ("beta1 0.9, this trainer has 0.8", { $0.beta1 = 0.8 }),
            ("beta2 0.99, this trainer has 0.999", { $0.beta2 = 0.999 }),
            ("gradient_clip 1.0, this trainer has none", { $0.gradientClip = nil }),
        ]
        for (message, change) in changes {
            var config = base
            change(&config)
            let (resumed, _, _) = try trainer(config)
            XCTAssertThrowsError(try resumed.restore(state), message) { error in
                let error = error as? AttentionError
                XCTAssertEqual(error?.kind, .format, message)
                XCTAssertEqual(error?.message, "training state: the run was saved with \(message)")
            }
            XCTAssertEqual(resumed.step, 0, "nothing restored: \(message)")
        }
        let (same, _, _) = try trainer(base)
        XCTAssertNoThrow(try same.restore(state))
        XCTAssertEqual(same.step, 2)
    }

    /// A state without settings (checkpoints written before they were recorded, e.g. the v1
    /// fixtures) restores into a trainer of any batch size.
    func testStateWithoutSettingsRestoresIntoAnyTrainer() throws {
        let (first, _, _) = try trainer(base)
        _ = try first.run { $0.step < 2 }
        var state = first.trainingState()
        state.stepSettings = nil
        var config = base
        config.batchSize = 5
        let (resumed, _, _) = try trainer(config)
        XCTAssertNoThrow(try resumed.restore(state))
        XCTAssertEqual(resumed.step, 2)
    }

    func testBadSettingsInAFileAreFormatErrors() throws {
        let (trainer, gpt, tokenizer) = try trainer(base)
        let file = try SafeTensorsFile.read(bytes: ModelCheckpoint(model: gpt, tokenizer: tokenizer,
                                                                   training: trainer.trainingState()).bytes())
        for bad in [#"{"batch_size":0,"weight_decay":0.1,"beta1":0.9,"beta2":0.99,"gradient_clip":1}"#,
                    #"{"batch_size":4,"weight_decay":"nan","beta1":0.9,"beta2":0.99,"gradient_clip":1}"#,
                    #"{"batch_size":4,"weight_decay":0.1,"beta1":0.9,"beta2":0.99,"gradient_clip":"off"}"#,
                    #"{"batch_size":4,"weight_decay":0.1,"beta1":0.9,"beta2":0.99}"#,
                    #"[4]"#] {
            var edited = file.metadata
            edited["training.step_settings"] = bad
            let bytes = try SafeTensorsFile.write(tensors: file.tensors, metadata: edited)
            XCTAssertThrowsError(try ModelCheckpoint.load(bytes: bytes), bad) { error in
                XCTAssertEqual((error as? AttentionError)?.kind, .format, bad)
                XCTAssertTrue((error as? AttentionError)?.message.contains("training.step_settings") == true, "\(error)")
            }
        }
    }
}
