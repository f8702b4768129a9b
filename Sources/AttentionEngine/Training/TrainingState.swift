/// Everything besides the parameters that a training run needs to continue exactly where it
/// stopped: a run saved after step k and resumed gives bitwise the same parameters and losses as
/// one uninterrupted run (same `TrainingConfig`, same data).
///
///     let state = trainer.trainingState()                       // after trainer.run(…) stopped
///     try ModelCheckpoint(model: gpt, tokenizer: tokenizer, training: state).write(to: path)
///     // later, in a fresh process:
///     let checkpoint = try ModelCheckpoint.load(path: path)
///     let trainer = try Trainer(model: checkpoint.model, data: batches, config: sameConfig)
///     try trainer.restore(checkpoint.training!)
///     try trainer.run()                                         // steps k+1 … config.steps
public struct TrainingState: Equatable {
    /// The first and second moments of AdamW for one parameter, in the parameter's layout.
    public struct Moments: Equatable, Sendable {
        public var m: [Float]
        public var v: [Float]

        public init(m: [Float], v: [Float]) {
            self.m = m
            self.v = v
        }

        /// Bitwise equality (so NaN == NaN).
        public static func == (a: Moments, b: Moments) -> Bool {
            a.m.elementsEqual(b.m) { $0.bitPattern == $1.bitPattern }
                && a.v.elementsEqual(b.v) { $0.bitPattern == $1.bitPattern }
        }
    }

    /// Optimizer steps completed; also the position in the learning-rate schedule (the schedule
    /// is a function of the step, see `WarmupCosineLearningRate`).
    public var step: Int
    /// AdamW's step count t, used by its bias correction.
    public var optimizerStep: Int
    /// AdamW moments by parameter name (nanoGPT names). A parameter that never received a
    /// gradient has none.
    public var moments: [String: Moments]
    /// The random streams by owner: `"trainer"` draws the training batches, and each `Dropout`
    /// module draws its masks under its dotted path (e.g. `"transformer.drop"`).
    public var randomStates: [String: Random]
    /// The learning-rate schedule the run follows (checked on restore: resuming with another
    /// schedule would not continue the same run).
    public var schedule: WarmupCosineLearningRate
    /// The other settings every step depends on (checked on restore). Nil in checkpoints written
    /// before they were recorded; such a state restores into any trainer.
    public var stepSettings: StepSettings?

    /// The settings of `TrainingConfig` besides the schedule that shape every step: another
    /// value on resume would not continue the same run.
    public struct StepSettings: Equatable, Sendable {
        /// Rows per (global) batch.
        public var batchSize: Int
        public var weightDecay: Float
        public var beta1: Float
        public var beta2: Float
        /// Global gradient-norm clip (nil: none).
        public var gradientClip: Float?

        public init(batchSize: Int, weightDecay: Float, beta1: Float, beta2: Float, gradientClip: Float?) {
            self.batchSize = batchSize
            self.weightDecay = weightDecay
            self.beta1 = beta1
            self.beta2 = beta2
            self.gradientClip = gradientClip
        }

        /// The settings of `config`.
        public init(_ config: TrainingConfig) {
            self.init(batchSize: config.batchSize, weightDecay: config.weightDecay, beta1: config.beta1,
                      beta2: config.beta2, gradientClip: config.gradientClip)
        }

        /// The settings by their checkpoint names (`batch_size`, `weight_decay`, `beta1`,
        /// `beta2`, `gradient_clip`: a number, or "none"), as text.
        public var fields: [(name: String, value: String)] {
            [("batch_size", "\(batchSize)"), ("weight_decay", "\(weightDecay)"), ("beta1", "\(beta1)"),
             ("beta2", "\(beta2)"), ("gradient_clip", gradientClip.map { "\($0)" } ?? "none")]
        }

        /// The first setting that differs from `other`'s: its name and both values.
        public func firstDifference(from other: StepSettings) -> (name: String, this: String, other: String)? {
            zip(fields, other.fields).first { $0.0.value != $0.1.value }.map { ($0.0.name, $0.0.value, $0.1.value) }
        }
    }

    public init(step: Int, optimizerStep: Int, moments: [String: Moments], randomStates: [String: Random],
                schedule: WarmupCosineLearningRate, stepSettings: StepSettings? = nil) {
        self.step = step
        self.optimizerStep = optimizerStep
        self.moments = moments
        self.randomStates = randomStates
        self.schedule = schedule
        self.stepSettings = stepSettings
    }

    /// The key of the trainer's batch stream in `randomStates`.
    public static let trainerRandomKey = "trainer"
}

extension Trainer {
    /// A copy of the run's state after the last completed step (see `TrainingState`).
    public func trainingState() -> TrainingState {
        let names = parameterNames()
        var moments: [String: TrainingState.Moments] = [:]
        for optimizer in optimizers {
            for (parameter, moment) in zip(optimizer.parameters, optimizer.moments) {
                guard let moment, let name = names[ObjectIdentifier(parameter)] else { continue }
                moments[name] = TrainingState.Moments(
                    m: Array(UnsafeBufferPointer(start: moment.m.pointer, count: moment.m.count)),
                    v: Array(UnsafeBufferPointer(start: moment.v.pointer, count: moment.v.count)))
            }
        }
        var randomStates = [TrainingState.trainerRandomKey: rng]
        for (path, dropout) in dropoutModules(of: module) { randomStates[path] = dropout.rng }
        return TrainingState(step: step, optimizerStep: optimizers.first?.stepCount ?? 0, moments: moments,
                             randomStates: randomStates, schedule: schedule, stepSettings: TrainingState.StepSettings(config))
    }

    /// Continues the run saved in `state`: sets the step, AdamW's step count and moments, and
    /// the random streams of the trainer and of every `Dropout` module. The trainer must have the
    /// same module structure, learning-rate schedule and step settings (batch size, AdamW's
    /// settings, clipping). Throws `AttentionError(.format, …)` naming the first mismatch
    /// (unknown parameter or dropout, wrong moment size, step past the end, other schedule or
    /// setting); nothing is changed then.
    public func restore(_ state: TrainingState) throws {
        guard state.schedule == schedule else {
            throw AttentionError(.format, "training state: its learning-rate schedule \(state.schedule) differs from this trainer's \(schedule)")
        }
        if let saved = state.stepSettings, let difference = saved.firstDifference(from: TrainingState.StepSettings(config)) {
            throw AttentionError(.format, "training state: the run was saved with \(difference.name) \(difference.this), this trainer has \(difference.other)")
        }
        guard (0...config.steps).contains(state.step), state.optimizerStep >= 0 else {
            throw AttentionError(.format, "training state: step \(state.step) (optimizer step \(state.optimizerStep)) is outside 0...\(config.steps)")
        }
        let parameters = Dictionary(uniqueKeysWithValues: module.namedParameters.map { ($0.name, $0.parameter) })
        for (name, moment) in state.moments {
            guard let parameter = parameters[name] else {
                throw AttentionError(.format, "training state: moments for '\(name)', which is not a parameter of the model")
            }
            let count = parameter.value.count
            guard moment.m.count == count, moment.v.count == count else {
                throw AttentionError(.format, "training state: moments of '\(name)' have \(moment.m.count) and \(moment.v.count) elements, the parameter \(count)")
            }
        }
        let dropouts = dropoutModules(of: module)
        let known = Set(dropouts.map(\.path) + [TrainingState.trainerRandomKey])
        if let unknown = state.randomStates.keys.sorted().first(where: { !known.contains($0) }) {
            throw AttentionError(.format, "training state: random state '\(unknown)' belongs to no dropout of the model")
        }
        guard let trainerRandom = state.randomStates[TrainingState.trainerRandomKey] else {
            throw AttentionError(.format, "training state: the trainer's random state is missing")
        }

        let names = parameterNames()
        for optimizer in optimizers {
            optimizer.stepCount = state.optimizerStep
            for (index, parameter) in optimizer.parameters.enumerated() {
                optimizer.moments[index] = names[ObjectIdentifier(parameter)].flatMap { state.moments[$0] }.map {
                    (TensorStorage(copying: $0.m), TensorStorage(copying: $0.v))
                }
            }
        }
        for (path, dropout) in dropouts {
            if let random = state.randomStates[path] { dropout.rng = random }
        }
        rng = trainerRandom
        step = state.step
    }

    private func parameterNames() -> [ObjectIdentifier: String] {
        Dictionary(module.namedParameters.map { (ObjectIdentifier($0.parameter), $0.name) }) { first, _ in first }
    }
}

/// Every `Dropout` below `module` with its dotted path, in declaration order.
func dropoutModules(of module: any Module, path: String = "") -> [(path: String, module: Dropout)] {
    module.children.flatMap { child -> [(path: String, module: Dropout)] in
        let childPath = path.isEmpty ? child.name : "\(path).\(child.name)"
        if let dropout = child.module as? Dropout { return [(childPath, dropout)] }
        return dropoutModules(of: child.module, path: childPath)
    }
}

extension TensorStorage {
    /// Storage holding a copy of `values`.
    convenience init(copying values: [Float]) {
        self.init(uninitializedCount: values.count)
        values.withUnsafeBufferPointer { source in
            if let base = source.baseAddress { pointer.initialize(from: base, count: values.count) }
        }
    }
}

extension WarmupCosineLearningRate: Equatable {
    public static func == (a: WarmupCosineLearningRate, b: WarmupCosineLearningRate) -> Bool {
        (a.peak, a.minimum, a.warmupSteps, a.totalSteps) == (b.peak, b.minimum, b.warmupSteps, b.totalSteps)
    }
}

extension Random: Equatable {
    public static func == (a: Random, b: Random) -> Bool {
        (a.s0, a.s1, a.s2, a.s3) == (b.s0, b.s1, b.s2, b.s3) && a.spareNormal?.bitPattern == b.spareNormal?.bitPattern
    }

    /// The generator's state as text: "xoshiro256** " and the four state words in hex, then
    /// "spare " and the bit pattern of the kept normal value when there is one.
    public var stateDescription: String {
        var text = "xoshiro256** " + [s0, s1, s2, s3].map { String($0, radix: 16) }.joined(separator: " ")
        if let spareNormal { text += " spare " + String(spareNormal.bitPattern, radix: 16) }
        return text
    }

    /// Restores a generator from `stateDescription`. Throws `AttentionError(.format, …)` for
    /// malformed text or the all-zero state (from which xoshiro never leaves).
    public init(stateDescription text: String) throws {
        let fields = text.split(separator: " ", omittingEmptySubsequences: false)
        let malformed = AttentionError(.format, "random state '\(text)' is not 'xoshiro256** s0 s1 s2 s3 [spare bits]' in hex")
        guard fields.count == 5 || (fields.count == 7 && fields[5] == "spare"), fields[0] == "xoshiro256**" else {
            throw malformed
        }
        let words = fields[1...4].compactMap { UInt64($0, radix: 16) }
        guard words.count == 4 else { throw malformed }
        guard words.contains(where: { $0 != 0 }) else {
            throw AttentionError(.format, "random state '\(text)' is all zero")
        }
        self.init(seed: 0)
        (s0, s1, s2, s3) = (words[0], words[1], words[2], words[3])
        if fields.count == 7 {
            guard let bits = UInt32(fields[6], radix: 16) else { throw malformed }
            spareNormal = Float(bitPattern: bits)
        } else {
            spareNormal = nil
        }
    }
}
