import Foundation

/// Settings of a training run: AdamW with linear warm-up then cosine decay to `minLearningRate`,
/// global gradient clipping, validation every `evaluationInterval` steps.
public struct TrainingConfig: Sendable {
    public var steps: Int
    public var batchSize: Int
    public var learningRate: Float
    public var minLearningRate: Float
    public var warmupSteps: Int
    /// AdamW weight decay, applied to matrices (rank ≥ 2) only, as nanoGPT.
    public var weightDecay: Float
    public var beta1: Float
    public var beta2: Float
    /// Global gradient-norm clip (nil: none).
    public var gradientClip: Float?
    /// Validate every this many steps and after the last (0: never).
    public var evaluationInterval: Int
    /// Batches averaged for one validation loss (always the same batches, from a fixed seed).
    public var evaluationBatches: Int
    /// Seed of the training batches.
    public var seed: UInt64
    /// Data-parallel runs only (docs/distributed.md): sum the gradients across ranks in buckets
    /// while the backward pass runs (true), or all at once after it (false). Both give the same
    /// bits.
    public var overlapsGradientSum: Bool
    /// Data-parallel runs with overlap: a bucket closes once it holds at least this many bytes of
    /// gradients (a parameter is never split, so a larger parameter is a bucket of its own; a
    /// size beyond all gradients makes one bucket). Must be ≥ 1.
    public var gradientBucketBytes: Int

    /// The default `gradientBucketBytes`: 1 MiB (PyTorch DDP's first bucket; its 25 MB would
    /// hold the whole gradient of the char models here).
    public static let defaultGradientBucketBytes = 1 << 20

    public init(steps: Int, batchSize: Int, learningRate: Float = 1e-3, minLearningRate: Float? = nil,
                warmupSteps: Int = 0, weightDecay: Float = 0.1, beta1: Float = 0.9, beta2: Float = 0.99,
                gradientClip: Float? = 1, evaluationInterval: Int = 0, evaluationBatches: Int = 4, seed: UInt64 = 0,
                overlapsGradientSum: Bool = true, gradientBucketBytes: Int = TrainingConfig.defaultGradientBucketBytes) {
        self.steps = steps
        self.batchSize = batchSize
        self.learningRate = learningRate
        self.minLearningRate = minLearningRate ?? learningRate / 10
        self.warmupSteps = warmupSteps
        self.weightDecay = weightDecay
        self.beta1 = beta1
        self.beta2 = beta2
        self.gradientClip = gradientClip
        self.evaluationInterval = evaluationInterval
        self.evaluationBatches = evaluationBatches
        self.seed = seed
        self.overlapsGradientSum = overlapsGradientSum
        self.gradientBucketBytes = gradientBucketBytes
    }

    /// Throws for non-positive steps or batch size, a bad schedule, clip ≤ 0 or negative intervals.
    public func validate() throws {
        guard steps >= 1, batchSize >= 1 else {
            throw AttentionError.invalid("training: steps \(steps) and batch size \(batchSize) must be >= 1")
        }
        guard evaluationInterval >= 0, evaluationBatches >= 1 else {
            throw AttentionError.invalid("training: evaluation interval \(evaluationInterval) must be >= 0 and batches \(evaluationBatches) >= 1")
        }
        guard gradientBucketBytes >= 1 else {
            throw AttentionError.invalid("training: the gradient bucket size \(gradientBucketBytes) bytes must be >= 1")
        }
        if let gradientClip, !(gradientClip > 0) {
            throw AttentionError.invalid("training: gradient clip \(gradientClip) must be > 0")
        }
        _ = try WarmupCosineLearningRate(peak: learningRate, minimum: minLearningRate,
                                         warmupSteps: min(warmupSteps, steps), totalSteps: steps)
    }
}

/// What the trainer reports after each step (for a CLI progress line or a C callback).
public struct TrainingProgress: Sendable {
    /// 1-based step just finished.
    public var step: Int
    public var loss: Float
    /// The validation loss when this step was an evaluation step.
    public var validationLoss: Float?
    /// Training tokens (non-padding targets) per second over this step.
    public var tokensPerSecond: Double
    /// The learning rate used by this step.
    public var learningRate: Float
    /// In a data-parallel run, the time of this step's backward pass and gradient sum.
    public var gradientSum: GradientSumTiming?
}

/// The training loop shared by every model: batch → loss → backward → clip → AdamW step, with
/// the learning-rate schedule, periodic validation, a progress callback, and an error naming the
/// step when the loss is NaN or infinite.
///
///     let trainer = try Trainer(model: gpt, data: batches,
///                               config: TrainingConfig(steps: 200, batchSize: 16, evaluationInterval: 50))
///     let history = try trainer.run { print($0.step, $0.loss, $0.validationLoss ?? .nan); return true }
public final class Trainer {
    /// Builds a training batch from the trainer's generator; returns its loss and the number of
    /// target tokens it holds.
    public typealias TrainingLoss = (_ rng: inout Random) throws -> (loss: Tensor, tokens: Int)
    /// The loss of one validation batch drawn from the generator.
    public typealias ValidationLoss = (_ rng: inout Random) throws -> Float

    public let config: TrainingConfig
    let module: any Module
    private let trainingLoss: TrainingLoss?
    private let validationLoss: ValidationLoss?
    let schedule: WarmupCosineLearningRate
    let optimizers: [Adam]
    /// The processes training together (this process alone unless started by `mpirun`): every
    /// step sums the gradients of all ranks, so all ranks hold the same weights.
    public let world: ProcessGroup
    /// Steps completed so far.
    public internal(set) var step = 0
    /// When set, the learning rate of every following step, in place of the schedule's.
    public var fixedLearningRate: Float?
    /// Draws the training batches; kept across `run` calls (and saved in checkpoints) so that a
    /// run split in parts draws the same batches as one uninterrupted run.
    var rng: Random
    /// The flat buffer of a distributed step's gradient sum, kept across steps (see
    /// `backwardSummingAcrossRanks`).
    var gradientSumBuffer: [Float] = []
    /// Whether the ranks have been found to share this trainer's gradient-sum settings (checked
    /// once, at the first distributed step: `checkGradientSumSettingsAgree`).
    var gradientSumSettingsAgreed = false

    /// A trainer for any module: `trainingLoss` builds a batch from the generator and returns its
    /// loss and token count; `validationLoss` returns the loss of one validation batch. Without
    /// them, only `step(_:)` and `evaluate(_:)` with a loss of the caller's making
    /// can be used (`run` and `evaluate()` throw).
    public init(module: any Module, config: TrainingConfig, trainingLoss: TrainingLoss? = nil,
                validationLoss: ValidationLoss? = nil) throws {
        try config.validate()
        world = try ProcessGroup.world()
        guard config.batchSize % world.size == 0 else {
            throw AttentionError.invalid("training: the batch size \(config.batchSize) is the global batch and must divide by the \(world.size) ranks")
        }
        guard !config.overlapsGradientSum || world.allowsCommunicationThread else {
            throw AttentionError.invalid("training: overlapping the gradient sum with backward calls MPI from a second thread, but MPI was initialized with less than MPI_THREAD_SERIALIZED; initialize it with MPI_THREAD_SERIALIZED or more, or turn the overlap off (TrainingConfig.overlapsGradientSum = false; attn train --no-overlap; attn_train_config.no_gradient_overlap = 1; Python TrainConfig(no_gradient_overlap=True))")
        }
        if let format = module.weightFormat {
            throw AttentionError.invalid("trainer: the model holds \(format.rawValue) weights for inference only and cannot be trained; train the FP32 checkpoint")
        }
        self.config = config
        self.module = module
        // Each rank's dropout masks are those of its rows of the global batch.
        for (_, dropout) in dropoutModules(of: module) { dropout.shardIndex = world.rank }
        self.trainingLoss = trainingLoss
        self.validationLoss = validationLoss
        rng = Random(seed: config.seed)
        schedule = try WarmupCosineLearningRate(peak: config.learningRate, minimum: config.minLearningRate,
                                                warmupSteps: min(config.warmupSteps, config.steps),
                                                totalSteps: config.steps)
        let parameters = module.parameters
        let decayed = parameters.filter { $0.shape.count >= 2 }, plain = parameters.filter { $0.shape.count < 2 }
        optimizers = [
            try Adam.adamW(decayed, learningRate: config.learningRate, beta1: config.beta1, beta2: config.beta2,
                           weightDecay: config.weightDecay),
            try Adam.adamW(plain, learningRate: config.learningRate, beta1: config.beta1, beta2: config.beta2,
                           weightDecay: 0),
        ]
    }

    /// Next-token training of a language model on text batches.
    public convenience init(model: any LanguageModel, data: TextBatches, config: TrainingConfig) throws {
        guard data.contextLength <= model.contextLength else {
            throw AttentionError.invalid("training: batches of \(data.contextLength) tokens exceed the model's context of \(model.contextLength)")
        }
        try MemoryBudget.requireActivations(of: model, tokens: Double(config.batchSize) * Double(data.contextLength),
                                            for: "training batches of \(config.batchSize) × \(data.contextLength) tokens")
        let losses = Self.losses(of: model, on: data, batchSize: config.batchSize, world: try ProcessGroup.world())
        try self.init(module: model, config: config, trainingLoss: losses.training, validationLoss: losses.validation)
    }

    /// Seq2seq training on question–answer pairs; validation on `validation` (the training pairs
    /// when nil). Tokens per second count the non-PAD targets.
    public convenience init(model: Seq2Seq, data: PairBatches, validation: PairBatches? = nil,
                            config: TrainingConfig) throws {
        let tokensPerPair = Double(model.config.maxSourceLength + model.config.maxTargetLength)
        try MemoryBudget.requireActivations(of: model, tokens: Double(config.batchSize) * tokensPerPair,
                                            for: "training batches of \(config.batchSize) question–answer pairs")
        let losses = Self.losses(of: model, on: data, validation: validation, batchSize: config.batchSize,
                                 world: try ProcessGroup.world())
        try self.init(module: model, config: config, trainingLoss: losses.training, validationLoss: losses.validation)
    }

    /// Next-token losses on text batches: training windows of `batchSize` rows from the train
    /// split, validation windows from the validation split (the train split when it is empty).
    /// In a job of several ranks (`world`, the trainer's), every rank draws the same global
    /// batch and computes the loss of its rows only (`world.shard(ofRows:)`); the validation
    /// loss is then the global batch's mean over all ranks, so every rank must validate together.
    public static func losses(of model: any LanguageModel, on data: TextBatches, batchSize: Int,
                              world: ProcessGroup = .single) -> (training: TrainingLoss, validation: ValidationLoss) {
        let rows = world.shard(ofRows: batchSize)
        return ({ rng in
            let batch = try data.batch(.train, size: batchSize, using: &rng).rows(rows)
            return (try model.loss(batch), batch.inputs.count)
        }, { rng in
            let split: TextBatches.Split = data.hasWindows(.validation) ? .validation : .train
            let batch = try data.batch(split, size: batchSize, using: &rng).rows(rows)
            return try world.meanOverRanks(loss: model.loss(batch).item, tokens: batch.inputs.count)
        })
    }

    /// Seq2seq losses on question–answer pairs, validated on `validation` (the training pairs
    /// when nil); the token count is the non-PAD targets. `world` as for text batches.
    public static func losses(of model: Seq2Seq, on data: PairBatches, validation: PairBatches? = nil, batchSize: Int,
                              world: ProcessGroup = .single) -> (training: TrainingLoss, validation: ValidationLoss) {
        let rows = world.shard(ofRows: batchSize)
        return ({ rng in
            let batch = data.batch(indices: Array(try data.indices(size: batchSize, using: &rng)[rows]))
            return (try model.loss(batch), batch.targetTokenCount)
        }, { rng in
            let pairs = validation ?? data
            let batch = pairs.batch(indices: Array(try pairs.indices(size: batchSize, using: &rng)[rows]))
            return try world.meanOverRanks(loss: model.loss(batch).item, tokens: batch.targetTokenCount)
        })
    }

    /// Mean loss over `evaluationBatches` validation batches drawn from a fixed seed (the same
    /// batches every time), with dropout off and no autograd.
    public func evaluate() throws -> Float {
        try evaluate(meanOf: validationLoss)
    }

    /// Mean of `evaluationBatches` values of `validationLoss`, as `evaluate()`.
    private func evaluate(meanOf validationLoss: ValidationLoss?) throws -> Float {
        guard let validationLoss else { throw AttentionError.invalid("training: this trainer has no validation data") }
        return try evaluate { rng in
            var total: Float = 0
            for _ in 0..<config.evaluationBatches { total += try validationLoss(&rng) }
            return total / Float(config.evaluationBatches)
        }
    }

    /// The value of `loss` computed with dropout off and no autograd; its generator is seeded
    /// with a fixed seed, so batches drawn from it are the same at every evaluation.
    public func evaluate(_ loss: (_ rng: inout Random) throws -> Float) throws -> Float {
        module.setTraining(false)
        defer { module.setTraining(true) }
        var rng = Random(seed: 0x5EED_0F_7E57)
        return try Autograd.withNoGrad { try loss(&rng) }
    }

    /// One optimizer step: `loss` builds a batch (from the trainer's batch generator, which
    /// checkpoints save) and returns its loss and its number of target tokens; then backward,
    /// clipping and AdamW at `fixedLearningRate` if set, else the schedule's rate for this step.
    /// Throws `AttentionError.invalid` naming the step when the loss is not finite (parameters
    /// keep their values). The module is left in training mode.
    public func step(_ loss: TrainingLoss) throws -> TrainingProgress {
        let started = DispatchTime.now().uptimeNanoseconds
        let learningRate = fixedLearningRate ?? schedule.learningRate(at: step)
        module.setTraining(true)
        let profile = StepProfile.current
        // Zero the gradients but keep their buffers: this step's backward writes into them.
        for parameter in module.parameters { parameter.value.node?.clearGradKeepingBuffer() }
        profile?.mark("zero gradients")
        var (loss, tokens) = try loss(&rng)
        profile?.mark("forward: batch and glue")
        var value = loss.item
        var gradientSum: GradientSumTiming?
        if world.isDistributed {
            // Every rank must reach the reduction, so a non-finite loss is judged on the sum.
            (value, tokens, gradientSum) = try backwardSummingAcrossRanks(loss, value: value, tokens: tokens)
        }
        guard value.isFinite else {
            throw AttentionError.invalid("training: the loss is \(value) at step \(step + 1)")
        }
        if !world.isDistributed { try loss.backward() }
        // Clipping is folded into the AdamW update: the gradients are read once more, not rewritten.
        let gradientScale = try config.gradientClip.map { try gradientClipScale(module.parameters, maxNorm: $0).scale } ?? 1
        profile?.mark("gradient clipping")
        for optimizer in optimizers {
            optimizer.learningRate = learningRate
            optimizer.step(gradientScale: gradientScale)
        }
        profile?.mark("AdamW")
        step += 1
        try checkReplicasIfDue()
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - started) * 1e-9
        return TrainingProgress(step: step, loss: value, validationLoss: nil,
                                tokensPerSecond: Double(tokens) / max(seconds, 1e-9), learningRate: learningRate,
                                gradientSum: gradientSum)
    }

    /// Runs the remaining steps. `progress` is called after every step; returning false stops
    /// early. Returns the progress of every step run. Throws `AttentionError.invalid` naming the
    /// step when the loss is not finite (parameters keep the values of the previous step).
    @discardableResult
    public func run(progress: ((TrainingProgress) -> Bool)? = nil) throws -> [TrainingProgress] {
        guard let trainingLoss else { throw AttentionError.invalid("training: this trainer has no training data") }
        return try run(trainingLoss: trainingLoss, validationLoss: validationLoss, progress: progress)
    }

    /// `run(progress:)` on the given losses instead of the trainer's own (e.g. data that arrives
    /// after the trainer was made).
    @discardableResult
    public func run(trainingLoss: TrainingLoss, validationLoss: ValidationLoss?,
                    progress: ((TrainingProgress) -> Bool)? = nil) throws -> [TrainingProgress] {
        var history: [TrainingProgress] = []
        while step < config.steps {
            var report = try step(trainingLoss)
            if config.evaluationInterval > 0 && (step % config.evaluationInterval == 0 || step == config.steps) {
                report.validationLoss = try evaluate(meanOf: validationLoss)
            }
            history.append(report)
            var keepGoing = progress?(report) ?? true
            // A rank that stops alone would leave the others waiting at the next reduction.
            if world.isDistributed { keepGoing = try world.allAgree(keepGoing) }
            if !keepGoing { break }
        }
        return history
    }
}
