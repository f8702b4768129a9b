import AttentionEngine
import CAttention

// attn_trainer_*: training runs behind an opaque handle (see include/attention.h).

/// The Swift object behind an attn_trainer_t: the engine's trainer over one model handle (kept
/// alive), the validation split of token-stream runs, and the progress callback.
final class TrainerHandle {
    let model: ModelHandle
    let trainer: Trainer
    /// attn_train_config.validation_fraction, the one field the engine's config does not hold.
    let validationFraction: Double
    var callback: attn_progress_fn?
    var userData: UnsafeMutableRawPointer?

    init(model: ModelHandle, trainer: Trainer, validationFraction: Double) {
        self.model = model
        self.trainer = trainer
        self.validationFraction = validationFraction
    }

    /// Runs `body` and leaves the network in evaluation mode afterwards (the engine's trainer
    /// switches it to training mode), so that inference after training reads it only.
    func training<Result>(_ function: String, _ body: () throws -> Result) throws -> Result {
        defer { model.model.setTraining(false) }
        return try naming(function, body)
    }

    /// One optimizer step on the loss `loss` builds, reported to the callback.
    func step(_ function: String, _ loss: Trainer.TrainingLoss) throws -> TrainingProgress {
        let report = try training(function) { try trainer.step(loss) }
        _ = notify(report)
        return report
    }

    /// Calls the progress callback; true when it returned nonzero (stop).
    func notify(_ progress: TrainingProgress) -> Bool {
        guard let callback else { return false }
        var report = progressReport(progress)
        return callback(&report, userData) != 0
    }

    /// Steps until the configured number of steps on `losses`, validating every eval_interval
    /// steps and stopping early when the callback asks.
    func run(_ function: String, _ losses: (training: Trainer.TrainingLoss, validation: Trainer.ValidationLoss)) throws {
        try training(function) {
            _ = try trainer.run(trainingLoss: losses.training, validationLoss: losses.validation) { !self.notify($0) }
        }
    }
}

func trainerHandle(_ handle: OpaquePointer?, _ function: String) throws -> TrainerHandle {
    try resolveHandle(handle, .trainer, as: TrainerHandle.self, function)
}

@c @implementation
public func attn_train_config_default(_ config: UnsafeMutablePointer<attn_train_config>?) -> attn_status {
    guarded { try writeGrowableStruct(defaultTrainConfig(), to: config, "config", "attn_train_config_default") }
}

@c @implementation
public func attn_trainer_init(_ model: OpaquePointer?, _ config: UnsafePointer<attn_train_config>?,
                              _ out: UnsafeMutablePointer<OpaquePointer?>?) -> attn_status {
    creatingHandle(out, .trainer, "attn_trainer_init") {
        let function = "attn_trainer_init"
        let handle = try modelHandle(model, function)
        let c = try readGrowableStruct(config, "config", function)
        if let kind = ModelKinds.describe(handle.model)?.kind, !kind.capabilities.contains(.training) {
            throw AttentionError.invalid("\(function): \(kind.name) models do not train here (inference only)")
        }
        let trainer = try naming(function) { try Trainer(module: handle.model, config: try trainingConfig(c, function)) }
        if c.resume != 0 {
            guard let saved = handle.savedTraining else {
                throw AttentionError.invalid("\(function): resume is set but the model was not loaded from a checkpoint written by attn_trainer_save")
            }
            try naming(function) { try trainer.restore(saved) }
        }
        handle.model.setTraining(false)
        return TrainerHandle(model: handle, trainer: trainer, validationFraction: Double(c.validation_fraction))
    }
}

@c @implementation
public func attn_trainer_free(_ trainer: OpaquePointer?) {
    freeHandle(trainer, .trainer)
}

/// The validated language-model batch of attn_trainer_step / attn_trainer_evaluate.
private func languageModelBatch(_ handle: TrainerHandle, _ inputs: UnsafePointer<Int32>?, _ targets: UnsafePointer<Int32>?,
                                _ batch: Int64, _ time: Int64, _ function: String) throws
    -> (model: any LanguageModel, batch: TokenBatch) {
    let model = try handle.model.languageModel(function)
    let count = try batchElementCount(batch, time, function)
    guard batch >= 1, time >= 1, time <= model.contextLength else {
        throw AttentionError.shape("\(function): batch \(batch) must be >= 1 and time \(time) in 1...\(model.contextLength) (block_size)")
    }
    let V = model.vocabularySize
    let tokens = TokenBatch(inputs: try tokenArgument(inputs, Int64(count), vocabularySize: V, "inputs", function),
                            targets: try tokenArgument(targets, Int64(count), vocabularySize: V, "targets", function),
                            batch: Int(batch), time: Int(time))
    try requireActivationMemory(of: handle.model, tokens: count, function)
    return (model, tokens)
}

/// The validated seq2seq batch of attn_trainer_step_seq2seq / attn_trainer_evaluate_seq2seq:
/// each PAD-padded row cut at its first PAD.
private func seq2seqBatch(_ handle: TrainerHandle, _ questions: UnsafePointer<Int32>?, _ questionLength: Int64,
                          _ answers: UnsafePointer<Int32>?, _ answerLength: Int64, _ batch: Int64,
                          _ function: String) throws -> (model: Seq2Seq, batch: PairBatch) {
    let model = try handle.model.seq2seq(function)
    let questionCount = try batchElementCount(batch, questionLength, function, timeName: "question_len")
    let answerCount = try batchElementCount(batch, answerLength, function, timeName: "answer_len")
    let config = model.config
    guard batch >= 1, questionLength >= 1, questionLength <= Int64(config.maxSourceLength),
          answerLength >= 1, answerLength <= Int64(config.maxTargetLength) - 1 else {
        throw AttentionError.shape(
            "\(function): batch \(batch) must be >= 1, question_len \(questionLength) in 1...\(config.maxSourceLength) and answer_len \(answerLength) in 1...\(config.maxTargetLength - 1) (max_target_length minus EOS)")
    }
    let V = config.vocabularySize
    let questionIds = try tokenArgument(questions, Int64(questionCount), vocabularySize: V, "questions", function)
    let answerIds = try tokenArgument(answers, Int64(answerCount), vocabularySize: V, "answers", function)
    func rows(_ ids: [Int32], width: Int, _ name: String) throws -> [[Int32]] {
        try (0..<Int(batch)).map { row in
            let cells = ids[row * width..<(row + 1) * width]
            let content = cells.prefix { $0 != CharTokenizer.pad }
            guard !content.isEmpty, cells.dropFirst(content.count).allSatisfy({ $0 == CharTokenizer.pad }) else {
                throw AttentionError.invalid(
                    "\(function): \(name) row \(row) must start with at least one non-PAD token and have only PAD after its first PAD")
            }
            return Array(content)
        }
    }
    let pairs = zip(try rows(questionIds, width: Int(questionLength), "questions"),
                    try rows(answerIds, width: Int(answerLength), "answers")).map { (question: $0, answer: $1) }
    try requireActivationMemory(of: handle.model, tokens: questionCount + answerCount + Int(batch), function)
    return (model, PairBatch(rows: pairs))
}

@c @implementation
public func attn_trainer_step(_ trainer: OpaquePointer?, _ inputs: UnsafePointer<Int32>?, _ targets: UnsafePointer<Int32>?,
                              _ batch: Int64, _ time: Int64, _ loss: UnsafeMutablePointer<Float>?) -> attn_status {
    guarded {
        let function = "attn_trainer_step"
        let handle = try trainerHandle(trainer, function)
        let (model, tokens) = try languageModelBatch(handle, inputs, targets, batch, time, function)
        let report = try handle.step(function) { _ in (try model.loss(tokens), tokens.inputs.count) }
        loss?.pointee = report.loss
    }
}

@c @implementation
public func attn_trainer_step_seq2seq(_ trainer: OpaquePointer?, _ questions: UnsafePointer<Int32>?, _ questionLength: Int64,
                                      _ answers: UnsafePointer<Int32>?, _ answerLength: Int64, _ batch: Int64,
                                      _ loss: UnsafeMutablePointer<Float>?) -> attn_status {
    guarded {
        let function = "attn_trainer_step_seq2seq"
        let handle = try trainerHandle(trainer, function)
        let (model, pairs) = try seq2seqBatch(handle, questions, questionLength, answers, answerLength, batch, function)
        let report = try handle.step(function) { _ in (try model.loss(pairs), pairs.targetTokenCount) }
        loss?.pointee = report.loss
    }
}

@c @implementation
public func attn_trainer_evaluate(_ trainer: OpaquePointer?, _ inputs: UnsafePointer<Int32>?, _ targets: UnsafePointer<Int32>?,
                                  _ batch: Int64, _ time: Int64, _ loss: UnsafeMutablePointer<Float>?) -> attn_status {
    guarded {
        let function = "attn_trainer_evaluate"
        let handle = try trainerHandle(trainer, function)
        let loss = try nonNull(loss, "loss", function)
        let (model, tokens) = try languageModelBatch(handle, inputs, targets, batch, time, function)
        loss.pointee = try handle.training(function) {
            try handle.trainer.evaluate { _ in
                try model.loss(tokens).item
            }
        }
    }
}

@c @implementation
public func attn_trainer_evaluate_seq2seq(_ trainer: OpaquePointer?, _ questions: UnsafePointer<Int32>?,
                                          _ questionLength: Int64, _ answers: UnsafePointer<Int32>?, _ answerLength: Int64,
                                          _ batch: Int64, _ loss: UnsafeMutablePointer<Float>?) -> attn_status {
    guarded {
        let function = "attn_trainer_evaluate_seq2seq"
        let handle = try trainerHandle(trainer, function)
        let loss = try nonNull(loss, "loss", function)
        let (model, pairs) = try seq2seqBatch(handle, questions, questionLength, answers, answerLength, batch, function)
        loss.pointee = try handle.training(function) { try handle.trainer.evaluate { _ in try model.loss(pairs).item } }
    }
}

@c @implementation
public func attn_trainer_set_learning_rate(_ trainer: OpaquePointer?, _ learningRate: Float) -> attn_status {
    guarded {
        let function = "attn_trainer_set_learning_rate"
        let handle = try trainerHandle(trainer, function)
        guard learningRate.isFinite, learningRate >= 0 else {
            throw AttentionError.invalid("\(function): learning rate \(learningRate) must be finite and >= 0")
        }
        handle.trainer.fixedLearningRate = learningRate
    }
}

@c @implementation
public func attn_trainer_set_progress_callback(_ trainer: OpaquePointer?, _ callback: attn_progress_fn?,
                                               _ userData: UnsafeMutableRawPointer?) -> attn_status {
    guarded {
        let handle = try trainerHandle(trainer, "attn_trainer_set_progress_callback")
        handle.callback = callback
        handle.userData = userData
    }
}

@c @implementation
public func attn_trainer_get_step(_ trainer: OpaquePointer?, _ step: UnsafeMutablePointer<Int64>?) -> attn_status {
    guarded {
        let handle = try trainerHandle(trainer, "attn_trainer_get_step")
        let step = try nonNull(step, "step", "attn_trainer_get_step")
        step.pointee = Int64(handle.trainer.step)
    }
}

@c @implementation
public func attn_trainer_get_world(_ trainer: OpaquePointer?, _ rank: UnsafeMutablePointer<Int32>?,
                                   _ size: UnsafeMutablePointer<Int32>?) -> attn_status {
    guarded {
        let function = "attn_trainer_get_world"
        let handle = try trainerHandle(trainer, function)
        let rank = try nonNull(rank, "rank", function), size = try nonNull(size, "size", function)
        rank.pointee = Int32(handle.trainer.world.rank)
        size.pointee = Int32(handle.trainer.world.size)
    }
}

@c @implementation
public func attn_trainer_run_tokens(_ trainer: OpaquePointer?, _ tokens: UnsafePointer<Int32>?, _ count: Int64) -> attn_status {
    guarded {
        let function = "attn_trainer_run_tokens"
        let handle = try trainerHandle(trainer, function)
        let model = try handle.model.languageModel(function)
        let ids = try tokenArgument(tokens, count, vocabularySize: model.vocabularySize, "tokens", function)
        let data = try naming(function) {
            try TextBatches(tokens: ids, contextLength: model.contextLength,
                            validationFraction: handle.validationFraction)
        }
        let size = handle.trainer.config.batchSize
        try requireActivationMemory(of: handle.model, tokens: size * model.contextLength, function)
        try handle.run(function, Trainer.losses(of: model, on: data, batchSize: size,
                                                  world: handle.trainer.world))
    }
}

@c @implementation
public func attn_trainer_run_pairs(_ trainer: OpaquePointer?, _ tsv: UnsafePointer<CChar>?, _ length: Int) -> attn_status {
    guarded {
        let function = "attn_trainer_run_pairs"
        let handle = try trainerHandle(trainer, function)
        let model = try handle.model.seq2seq(function)
        let tokenizer = try handle.model.requireTokenizer(function)
        let text = try utf8Argument(tsv, length, "tsv", function)
        let data = try naming(function) {
            try PairBatches(pairs: DialoguePair.parseTSV(text), tokenizer: tokenizer,
                            maxSourceLength: model.config.maxSourceLength, maxTargetLength: model.config.maxTargetLength)
        }
        let size = handle.trainer.config.batchSize
        try requireActivationMemory(of: handle.model, tokens: size * (model.config.maxSourceLength + model.config.maxTargetLength),
                                    function)
        try handle.run(function, Trainer.losses(of: model, on: data, batchSize: size,
                                                  world: handle.trainer.world))
    }
}

@c @implementation
public func attn_trainer_save(_ trainer: OpaquePointer?, _ path: UnsafePointer<CChar>?) -> attn_status {
    guarded {
        let function = "attn_trainer_save"
        let handle = try trainerHandle(trainer, function)
        let path = try nonNull(path, "path", function)
        let checkpoint = ModelCheckpoint(model: handle.model.model, tokenizer: handle.model.tokenizer,
                                         training: handle.trainer.trainingState())
        try naming(function) { try checkpoint.write(to: pathArgument(path, function)) }
    }
}
