import ArgumentParser
import AttentionEngine
import Foundation

/// Set by the SIGINT handler (and SIGTERM's under mpirun); the training loop checks it after every step.
nonisolated(unsafe) var interruptRequested: sig_atomic_t = 0

/// `attn train`: trains a model on the embedded corpus (or a file), with a progress bar,
/// periodic and Ctrl-C checkpoints, validation, and an optional loss-curve SVG.
struct TrainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "Train a GPT, seq2seq, RNN or CNN model (default: a GPT on the built-in corpus).",
        discussion: """
            Ctrl-C stops after the current step, saves the checkpoint and exits with status 130. \
            --resume continues a saved run to the bit-identical result of an uninterrupted one \
            (same options). Besides the last state, the weights with the lowest validation loss \
            so far are kept (--best): a small corpus is memorised long before the last step.
            """)

    /// The names of the kinds `attn train` can train: "gpt, seq2seq, rnn, cnn".
    static let trainableKinds = ModelKinds.all.filter { $0.capabilities.contains(.training) }.map(\.name)
        .joined(separator: ", ")

    @Option(help: "Model kind: \(trainableKinds) (rnn: a GRU).") var model = "gpt"

    /// The kind named by --model (checked by `validate`).
    var kind: any ModelKind { ModelKinds.named(model)! }
    @Option(help: "UTF-8 text to learn, read in chunks (a BOM is dropped, CRLF becomes LF, NUL bytes are refused; default: the built-in classical Chinese corpus).") var corpus: String?
    @Option(help: "Question–answer pairs for seq2seq, TSV or .jsonl (default: the built-in pairs).")
    var pairs: String?
    @Option(help: "Training steps (default 500); the learning rate warms up linearly over a tenth of them (at least 30 and at most 100, at most half the run), then decays by a cosine to a tenth of the peak.")
    var steps: Int?
    @Option(help: "Stop after this many seconds instead of a step count; the learning rate then follows the clock: linear warm-up over the first 5% of the time, cosine decay to a tenth of the peak at the end. With --resume it only limits the time: the rate follows the saved schedule.")
    var time: Double?
    @Option(help: "Checkpoint file to write (default: the --resume file, else <model>.safetensors).") var out: String?
    @Option(help: "Where to keep the weights of the lowest validation loss (default: <out> with .best before the extension).")
    var best: String?
    @Option(help: "Continue the run saved in this checkpoint.") var resume: String?
    @Option(help: "Write the loss curve as an SVG file.") var plot: String?
    @Option(help: "Save a checkpoint every N steps.") var checkpointEvery: Int = 200
    // Options a resumed run takes from its checkpoint are optional, so that a given one can be
    // checked against it; their help states the default of a new run.
    static let defaultBatchSize = 16
    /// attn_train_config_default's (and Python's TrainConfig's) peak; on the built-in corpus it
    /// reached validation loss 5.49 after 150 steps of the default GPT against 5.81 for 3e-3.
    static let defaultLearningRate: Float = 1e-3
    static let defaultSeed: UInt64 = 1
    @Option(help: "Sequences per batch; a resumed run keeps its own (default: \(defaultBatchSize))") var batchSize: Int?
    @Option(help: "Peak learning rate, the C and Python default too; a resumed run keeps its own (default: \(defaultLearningRate))")
    var learningRate: Float?
    @Option(help: "Seed of initialisation and batches; a resumed run continues its saved random streams (default: \(defaultSeed))")
    var seed: UInt64?
    @Option(help: sizeHelp("Layers (seq2seq: encoder and decoder each)", "n-layer")) var nLayer: String?
    @Option(help: sizeHelp("Attention heads", "n-head")) var nHead: String?
    @Option(help: sizeHelp("Embedding width", "n-embd")) var nEmbd: String?
    @Option(help: sizeHelp("Context length in characters", "block-size")) var blockSize: String?
    @Option(help: sizeHelp("Dropout probability", "dropout")) var dropout: String?
    @Option(help: sizeHelp("Recurrent state width", "hidden-size")) var hiddenSize: String?
    @Option(help: sizeHelp("Convolution width", "kernel-size")) var kernelSize: String?
    @Option(help: sizeHelp("Recurrent cell", "cell")) var cell: String?
    @Flag(help: "Plain log lines instead of a progress bar.") var log = false
    @Flag(help: "One JSON object per log line (and a final summary).") var json = false
    @Option(help: "Under mpirun: sum the gradients across ranks in buckets of at least this many MiB while backward runs (more than 0, at most 1048576; default 1).")
    var gradientBucketMb: Double?
    @Flag(help: "Under mpirun: sum the gradients after backward instead of overlapping the sum with it (the same result; to compare).")
    var noOverlap = false

    func validate() throws {
        guard let kind = ModelKinds.named(model), kind.capabilities.contains(.training) else {
            throw ValidationError("--model \(model) is not a kind attn can train (\(Self.trainableKinds))")
        }
        if corpus != nil && pairs != nil { throw ValidationError("give --corpus or --pairs, not both") }
        if pairs != nil && !kind.capabilities.contains(.answering) { throw ValidationError("--pairs trains a seq2seq model: add --model seq2seq") }
        if corpus != nil && kind.capabilities.contains(.answering) { throw ValidationError("a seq2seq model learns from --pairs, not --corpus") }
        if let steps, steps < 1 { throw ValidationError("--steps must be at least 1") }
        if let time, !(time > 0) { throw ValidationError("--time must be positive") }
        if let gradientBucketMb, !(gradientBucketMb > 0 && gradientBucketMb <= 1_048_576) {
            throw ValidationError("--gradient-bucket-mb must be more than 0 and at most 1048576 (1 TiB)")
        }
        if gradientBucketMb != nil && noOverlap { throw ValidationError("--gradient-bucket-mb sizes the overlapped sum: drop it or --no-overlap") }
        if steps != nil && time != nil { throw ValidationError("give --steps or --time, not both") }
        if checkpointEvery < 1 || (batchSize ?? 1) < 1 { throw ValidationError("--checkpoint-every and --batch-size must be at least 1") }
        if let learningRate, !(learningRate > 0 && learningRate.isFinite) { throw ValidationError("--learning-rate must be positive") }
        _ = try sizeOverrides(for: kind)
        for (name, path) in [("--out", out), ("--best", best), ("--plot", plot)] where path?.isEmpty == true {
            throw ValidationError("\(name) needs a file name")
        }
        if URL(fileURLWithPath: bestOutput).standardizedFileURL.path == URL(fileURLWithPath: output).standardizedFileURL.path { throw ValidationError("--best and --out name the same file '\(output)'") }
    }

    /// The checkpoint to write: --out, else the file --resume continues, else `<model>.safetensors`.
    var output: String { out ?? resume ?? "\(model).safetensors" }
    /// The file that keeps the weights of the lowest validation loss.
    var bestOutput: String { best ?? Self.bestPath(for: output) }

    func run() throws {
        // One line at a time, so a killed run leaves complete log lines.
        setvbuf(stdout, nil, _IOLBF, 0)
        try reportingErrors {
            // Under mpirun (docs/distributed.md) every rank trains; rank 0 reports and saves.
            let world = try ProcessGroup.world()
            if world.isDistributed, time != nil {
                throw AttentionError.invalid("--time cannot be used under mpirun: the ranks' clocks would give them different learning rates; give --steps")
            }
            try DistributedRun.run(in: world) {
                if world.isRoot {  // the only rank that writes
                    try InputFiles.checkWritable(output)
                    try InputFiles.checkWritable(bestOutput)
                    if let plot { try InputFiles.checkWritable(plot) }
                }
                let run = try TrainingRun(options: self)
                // Ctrl-C on mpirun reaches the ranks as SIGTERM (then SIGKILL after Open MPI's
                // odls_base_sigkill_timeout, docs/distributed.md): under a launcher it stops the
                // run as SIGINT does, after the step every rank is in, with one save.
                let stopSignals = world.isDistributed ? [SIGINT, SIGTERM] : [SIGINT]
                for stopSignal in stopSignals { signal(stopSignal) { _ in interruptRequested = 1 } }
                defer { for stopSignal in stopSignals { signal(stopSignal, SIG_DFL) } }
                let finished = try run.train(output: output, best: bestOutput)
                if !finished { throw ExitCode(130) }
            }
        }
    }

    /// The config keys of the model-kind registry (`ModelKind.defaultConfig`) that each
    /// model-size option sets; a kind takes the option when it has at least one of the keys.
    static let sizeKeys: [String: [String]] = [
        "n-layer": ["n_layer", "n_encoder_layer", "n_decoder_layer"], "n-head": ["n_head"], "n-embd": ["n_embd"],
        "block-size": ["block_size"], "dropout": ["dropout"], "hidden-size": ["hidden_size"],
        "kernel-size": ["kernel_size"], "cell": ["cell"],
    ]

    /// The help of a model-size option, with each trainable kind's default from the registry,
    /// e.g. "Layers (default: gpt 4, rnn 1, cnn 5, seq2seq 2+2)."
    static func sizeHelp(_ what: String, _ option: String) -> ArgumentHelp {
        let defaults = ModelKinds.all.filter { $0.capabilities.contains(.training) }.compactMap { kind -> String? in
            let values = sizeKeys[option]!.compactMap { kind.defaultConfig[$0] }
            return values.isEmpty ? nil : "\(kind.name) \(values.joined(separator: "+"))"
        }
        return ArgumentHelp("\(what) (default: \(defaults.joined(separator: ", "))).")
    }

    /// The model-size options given on the command line, by option name.
    var sizeValues: [(option: String, value: String)] {
        [("n-layer", nLayer), ("n-head", nHead), ("n-embd", nEmbd), ("block-size", blockSize), ("dropout", dropout),
         ("hidden-size", hiddenSize), ("kernel-size", kernelSize), ("cell", cell)]
            .compactMap { option, value in value.map { (option, $0) } }
    }

    /// The config entries the model-size options set for `kind` (the engine checks the values);
    /// throws for an option the kind does not have.
    func sizeOverrides(for kind: any ModelKind) throws -> [String: String] {
        var overrides: [String: String] = [:]
        for (option, value) in sizeValues {
            let keys = Self.sizeKeys[option]!.filter { kind.defaultConfig[$0] != nil }
            guard !keys.isEmpty else { throw ValidationError("--\(option) does not apply to --model \(kind.name)") }
            for key in keys { overrides[key] = value }
        }
        return overrides
    }

    /// `dir/name.best.ext` for `dir/name.ext` (`name.best` without an extension).
    static func bestPath(for output: String) -> String {
        let url = URL(fileURLWithPath: output)
        let stem = url.deletingPathExtension().lastPathComponent, ext = url.pathExtension
        let name = ext.isEmpty ? "\(stem).best" : "\(stem).best.\(ext)"
        let directory = (output as NSString).deletingLastPathComponent
        return directory.isEmpty ? name : (directory as NSString).appendingPathComponent(name)
    }
}

/// One training run of `attn train`: the model, its data and trainer, and the reporting.
final class TrainingRun {
    let options: TrainCommand
    let model: any Module
    let tokenizer: CharTokenizer
    let trainer: Trainer
    let totalSteps: Int
    let tokensPerStep: Int
    var trainingCurve: [(step: Int, loss: Float)] = []
    var validationCurve: [(step: Int, loss: Float)] = []
    /// The lowest validation loss so far and its step (kept in the --best checkpoint).
    var bestValidation: (step: Int, loss: Float)?

    init(options: TrainCommand) throws {
        self.options = options
        let resumed = try options.resume.map(InputFiles.checkpoint)
        if let resumed, let path = options.resume, let kind = ModelKinds.describe(resumed.model)?.kind.name,
           kind != options.model {
            throw AttentionError.invalid("\(path) holds a \(kind) model, not \(options.model): give --model \(kind) to resume it")
        }
        let sizes = try options.sizeOverrides(for: options.kind)
        if let resumed, let path = options.resume, let config = ModelKinds.describe(resumed.model)?.config {
            for (key, value) in sizes.sorted(by: { $0.key < $1.key }) {
                let saved = config[key] ?? "none"
                let same = saved == value || (Double(saved) != nil && Double(saved) == Double(value))
                if !same {
                    throw AttentionError.invalid("\(path) has \(key) \(saved), not \(value): a resumed run keeps the model's sizes")
                }
            }
        }
        // A resumed run keeps its learning-rate schedule (hence its step count) and batch size:
        // options that say otherwise are refused, options not given are taken from the file.
        let schedule = resumed?.training?.schedule
        let savedBatchSize = resumed?.training?.stepSettings?.batchSize
        if let schedule {
            if let steps = options.steps, steps != schedule.totalSteps {
                throw AttentionError.invalid("--resume continues a run of \(schedule.totalSteps) steps; omit --steps or give --steps \(schedule.totalSteps)")
            }
            if let rate = options.learningRate, rate != schedule.peak {
                throw AttentionError.invalid("--resume continues a run with --learning-rate \(schedule.peak); omit --learning-rate or give \(schedule.peak)")
            }
        }
        if resumed != nil, options.seed != nil {
            throw AttentionError.invalid("--resume continues the saved run's random streams; --seed only starts a new run")
        }
        let seed = options.seed ?? TrainCommand.defaultSeed
        if let savedBatchSize, let batchSize = options.batchSize, batchSize != savedBatchSize {
            throw AttentionError.invalid("--resume continues a run with --batch-size \(savedBatchSize); omit --batch-size or give \(savedBatchSize)")
        }
        let batchSize = savedBatchSize ?? options.batchSize ?? TrainCommand.defaultBatchSize
        totalSteps = schedule?.totalSteps ?? options.steps ?? (options.time != nil ? 1_000_000 : 500)
        let config = TrainingConfig(steps: totalSteps, batchSize: batchSize,
                                    learningRate: schedule?.peak ?? options.learningRate ?? TrainCommand.defaultLearningRate,
                                    minLearningRate: schedule?.minimum,
                                    warmupSteps: schedule?.warmupSteps ?? WarmupCosineLearningRate.defaultWarmupSteps(totalSteps: totalSteps),
                                    weightDecay: options.kind.capabilities.contains(.answering) ? 0 : 0.1,
                                    evaluationInterval: max(1, min(totalSteps, 500) / 10), seed: seed,
                                    overlapsGradientSum: !options.noOverlap,
                                    gradientBucketBytes: options.gradientBucketMb.map { max(1, Int($0 * 1_048_576)) }
                                        ?? TrainingConfig.defaultGradientBucketBytes)
        if options.kind.capabilities.contains(.answering) {
            let pairs = try options.pairs.map(InputFiles.pairs) ?? DefaultData.dialoguePairs
            let tokenizer = try resumed?.tokenizer
                ?? CharTokenizer(corpus: pairs.map { $0.question + $0.answer }.joined())
            let longest = pairs.map { max($0.question.unicodeScalars.count, $0.answer.unicodeScalars.count) }.max() ?? 1
            // The kind's defaults, with the lengths fitted to the pairs.
            let fitted = ["max_source_length": "\(longest + 2)", "max_target_length": "\(longest + 2)"].merging(sizes) { $1 }
            guard let model = try resumed?.model as? Seq2Seq
                ?? Self.makeModel(options.kind, vocabulary: tokenizer.vocabularySize, seed: seed, overrides: fitted)
                as? Seq2Seq else {
                throw AttentionError.invalid("\(options.model) answers questions, but is not a seq2seq model")
            }
            try Self.checkMemory(batchSize: batchSize, length: longest + 2, vocabulary: tokenizer.vocabularySize)
            let data = try PairBatches(pairs: pairs, tokenizer: tokenizer, maxSourceLength: model.config.maxSourceLength,
                                       maxTargetLength: model.config.maxTargetLength)
            trainer = try Trainer(model: model, data: data, config: config)
            (self.model, self.tokenizer) = (model, tokenizer)
            tokensPerStep = batchSize * (longest + 2)
        } else {
            // A file streams into token ids (CorpusFile): a corpus of gigabytes never sits in
            // memory as text.
            let corpus = try options.corpus.map { try InputFiles.corpus($0, tokenizer: resumed?.tokenizer) }
            let tokenizer = try corpus?.tokenizer ?? resumed?.tokenizer ?? CharTokenizer(corpus: DefaultData.corpus)
            let unknown = corpus?.unknownScalars ?? tokenizer.unknownScalars(in: DefaultData.corpus)
            if !unknown.isEmpty {
                throw AttentionError.invalid("the corpus has \(unknown.count) characters the resumed model does not know, e.g. '\(unknown[0])'")
            }
            guard let model = try resumed?.languageModel
                ?? Self.makeModel(options.kind, vocabulary: tokenizer.vocabularySize, seed: seed, overrides: sizes)
                as? any LanguageModel else {
                throw AttentionError.invalid("\(options.model) is not a next-character language model")
            }
            try Self.checkMemory(batchSize: batchSize, length: model.contextLength,
                                 vocabulary: tokenizer.vocabularySize)
            let data = try corpus.map {
                try TextBatches(tokens: $0.tokens, contextLength: model.contextLength, documentStarts: $0.documentStarts)
            } ?? TextBatches(text: DefaultData.corpus, tokenizer: tokenizer, contextLength: model.contextLength)
            trainer = try Trainer(model: model, data: data, config: config)
            (self.model, self.tokenizer) = (model, tokenizer)
            tokensPerStep = batchSize * model.contextLength
        }
        if let resumed {
            guard let state = resumed.training else {
                throw AttentionError.invalid("\(options.resume!): the checkpoint holds no training state to resume")
            }
            try trainer.restore(state)
        }
    }

    /// Throws `.outOfMemory` when one batch's logits and their gradient (batch × length ×
    /// vocabulary floats each) alone exceed the machine's physical memory: the allocation would
    /// abort the process instead of failing.
    static func checkMemory(batchSize: Int, length: Int, vocabulary: Int) throws {
        let bytes = Double(batchSize) * Double(length) * Double(vocabulary) * Double(MemoryLayout<Float>.size) * 2
        let available = Double(ProcessInfo.processInfo.physicalMemory)
        if bytes > available {
            throw AttentionError(.outOfMemory, String(format: "out of memory: --batch-size %d needs %.1f GB for the logits alone; this machine has %.1f GB", batchSize, bytes / 1e9, available / 1e9))
        }
    }

    /// Throws `.outOfMemory` when a rough lower bound of the parameters, gradients and AdamW
    /// moments of a model of `config` (about 12 · width² per layer plus the embeddings, in
    /// floats, four copies) exceeds the machine's physical memory: allocating them would abort.
    static func checkModelMemory(_ config: [String: String]) throws {
        func value(_ keys: String...) -> Double { keys.compactMap { config[$0].flatMap(Double.init) }.reduce(0, +) }
        let width = max(value("n_embd"), value("hidden_size")), layers = value("n_layer", "n_encoder_layer", "n_decoder_layer")
        let length = value("block_size", "max_source_length", "max_target_length"), vocabulary = value("vocab_size")
        let parameters = layers * 12 * width * width + (vocabulary + length) * width
        let bytes = parameters * Double(MemoryLayout<Float>.size) * 4
        let available = Double(ProcessInfo.processInfo.physicalMemory)
        if bytes > available {
            throw AttentionError(.outOfMemory, String(format: "out of memory: a model of these sizes needs at least %.1f GB; this machine has %.1f GB", bytes / 1e9, available / 1e9))
        }
    }

    /// A fresh model of `kind` with the kind's defaults (shared with the C ABI's
    /// attn_model_config_default), `overrides` and the tokenizer's vocabulary.
    static func makeModel(_ kind: any ModelKind, vocabulary: Int, seed: UInt64,
                          overrides: [String: String] = [:]) throws -> any Module {
        var config = kind.defaultConfig.merging(overrides) { $1 }
        config["vocab_size"] = "\(vocabulary)"
        try checkModelMemory(config)
        return try kind.makeModel(config: config, seed: seed)
    }

    /// Trains until the step count, the time limit or Ctrl-C; saves checkpoints on the way and at
    /// the end, and the weights of each new lowest validation loss to `best`. Returns false when
    /// interrupted.
    func train(output: String, best: String) throws -> Bool {
        let started = Date()
        let bar = ProgressBar(label: "train", descriptor: STDOUT_FILENO, wanted: !options.log && !options.json)
        let firstStep = trainer.step
        var lastProgress: TrainingProgress?
        let header = "training \(options.model) (\(model.parameterCount) parameters, vocabulary \(tokenizer.vocabularySize)) "
            + "from step \(trainer.step)" + (options.time.map { " for \(Int($0)) s" } ?? " to step \(totalSteps)")
            + "; checkpoint: \(output)"
        // --json keeps stdout to JSON lines; the human-readable header goes to stderr.
        if options.json {
            if trainer.world.isRoot { FileHandle.standardError.write(Data((header + "\n").utf8)) }
        } else { print(header) }
        var lastLine = Date.distantPast
        // A resumed run follows its saved step schedule; --time then only limits how long it runs.
        let clockSchedule = options.resume == nil ? try options.time.map { _ in try timeSchedule() } : nil
        if let clockSchedule { trainer.fixedLearningRate = clockSchedule.learningRate(at: 0) }
        var saveError: Error?
        try trainer.run { progress in
            self.trainingCurve.append((progress.step, progress.loss))
            if let validation = progress.validationLoss {
                self.validationCurve.append((progress.step, validation))
                if validation < self.bestValidation?.loss ?? .infinity {
                    self.bestValidation = (progress.step, validation)
                    do {
                        try self.writeBest(to: best)
                    } catch { saveError = error; return false }
                }
            }
            let elapsed = Date().timeIntervalSince(started)
            if let clockSchedule, let time = self.options.time {
                // The next step's rate, at the fraction of the time budget used so far.
                let position = Int(min(1, elapsed / time) * Double(Self.timeScheduleResolution))
                self.trainer.fixedLearningRate = clockSchedule.learningRate(at: position)
            }
            lastProgress = progress
            if bar.visible {
                self.draw(bar, progress, elapsed: elapsed, steps: progress.step - firstStep, final: false)
            } else if progress.validationLoss != nil || Date().timeIntervalSince(lastLine) >= 5 {
                lastLine = Date()
                print(self.logLine(progress, elapsed: elapsed))
            }
            if progress.step % self.options.checkpointEvery == 0 {
                do { try self.save(output) } catch { saveError = error; return false }
            }
            return interruptRequested == 0 && elapsed < (self.options.time ?? .infinity)
        }
        if let lastProgress {
            draw(bar, lastProgress, elapsed: Date().timeIntervalSince(started), steps: lastProgress.step - firstStep, final: true)
        }
        if let saveError { throw saveError }
        try save(output)
        // The final evaluation is a validation point like the periodic ones: it counts for
        // --best, the plot and the summary.
        let validation = try trainer.evaluate()
        if validationCurve.last?.step != trainer.step { validationCurve.append((trainer.step, validation)) }
        if validation < bestValidation?.loss ?? .infinity {
            bestValidation = (trainer.step, validation)
            try writeBest(to: best)
        }
        if let plot = options.plot, trainer.world.isRoot {
            try LossPlot.write(LossPlot.svg(training: trainingCurve, validation: validationCurve,
                                            title: "attn train --model \(options.model)"), to: plot)
        }
        if options.json {
            let bestFields = bestValidation.map {
                #","best_step":\#($0.step),"best_validation_loss":\#($0.loss),"best_checkpoint":"\#(best)""#
            } ?? ""
            print(#"{"event":"done","step":\#(trainer.step),"validation_loss":\#(validation),"checkpoint":"\#(output)"\#(bestFields)}"#)
        } else {
            print(String(format: "%@ at step %d; validation loss %.4f; saved %@",
                         interruptRequested != 0 ? "interrupted" : "done", trainer.step, validation, output))
            if let bestValidation {
                print(String(format: "lowest validation loss %.4f at step %d; weights kept in %@",
                             bestValidation.loss, bestValidation.step, best))
            }
        }
        return interruptRequested == 0
    }

    /// Writes the checkpoint (rank 0 only: every rank holds the same weights).
    func save(_ output: String) throws {
        guard trainer.world.isRoot else { return }
        try ModelCheckpoint(model: model, tokenizer: tokenizer, training: trainer.trainingState()).write(to: output)
    }

    /// Writes the weights of the lowest validation loss so far (rank 0 only).
    func writeBest(to best: String) throws {
        guard trainer.world.isRoot else { return }
        try ModelCheckpoint(model: model, tokenizer: tokenizer).write(to: best)
    }

    func logLine(_ progress: TrainingProgress, elapsed: Double) -> String {
        if options.json {
            let validation = progress.validationLoss.map { ",\"validation_loss\":\($0)" } ?? ""
            let gradientSum = progress.gradientSum.map {
                #","backward_seconds":\#($0.backwardSeconds),"communication_seconds":\#($0.communicationSeconds),"#
                    + #""gradient_sum_wait_seconds":\#($0.waitSeconds),"gradient_buckets":\#($0.buckets)"#
            } ?? ""
            return #"{"event":"step","step":\#(progress.step),"loss":\#(progress.loss)\#(validation)\#(gradientSum),"#
                + #""tokens_per_second":\#(Int(progress.tokensPerSecond)),"learning_rate":\#(progress.learningRate),"seconds":\#(elapsed)}"#
        }
        return String(format: "step %6d  loss %.4f  %@%7.0f tokens/s  lr %.2e  %6.1f s", progress.step, progress.loss,
                      progress.validationLoss.map { String(format: "val %.4f  ", $0) } ?? "",
                      progress.tokensPerSecond, progress.learningRate, elapsed)
    }

    /// Positions of the time-defined schedule over a --time budget (its "steps").
    static let timeScheduleResolution = 1000

    /// The learning rate of a --time run as a function of the used fraction of the time budget
    /// (in thousandths): warm-up over the first 5%, cosine decay to the minimum at the end.
    func timeSchedule() throws -> WarmupCosineLearningRate {
        try WarmupCosineLearningRate(peak: trainer.config.learningRate, minimum: trainer.config.minLearningRate,
                                     warmupSteps: Self.timeScheduleResolution / 20, totalSteps: Self.timeScheduleResolution)
    }

    /// Draws `bar` for `progress`, `steps` steps into this process's run (`final`: the end).
    func draw(_ bar: ProgressBar, _ progress: TrainingProgress, elapsed: Double, steps: Int, final: Bool) {
        let fraction = options.time.map { elapsed / $0 } ?? Double(progress.step) / Double(totalSteps)
        let counter = options.time == nil ? "\(progress.step)/\(totalSteps)" : "step \(progress.step)"
        let rate = ProgressBar.rate(Double(tokensPerStep * steps) / max(elapsed, 1e-9), unit: "tok")
        var fields = [String(format: "loss %.3f", progress.loss)]
        if let validation = validationCurve.last { fields.append(String(format: "val %.3f", validation.loss)) }
        if final {
            bar.finish(fraction: fraction, counter: counter, rate: rate, fields: fields)
        } else {
            bar.update(fraction: fraction, counter: counter, rate: rate, fields: fields)
        }
    }
}
