/// A model of a registered kind (`ModelKinds`: `GPT`, `Seq2Seq`, `RecurrentLM`, `ConvolutionalLM`) with its tokenizer and, optionally, the state of its training
/// run, stored as one safetensors file (layout and tensor names in docs/checkpoints.md).
///
/// Tensors: the model's parameters under their nanoGPT names (`transformer.wte.weight`, …), the
/// GPT's `lm_head.weight` (a copy of `transformer.wte.weight`, for nanoGPT), and with a training
/// state the AdamW moments `optimizer.m.<parameter>` and `optimizer.v.<parameter>`.
/// `__metadata__`: `format` ("libattention-checkpoint"), `format_version` ("1"), `model` (the
/// kind, e.g. "gpt"), `config` (a JSON object with nanoGPT's names), `tokenizer.characters` (a
/// JSON string of the tokenizer's characters in id order) and the training keys `training.step`,
/// `training.optimizer_step`, `training.schedule` (JSON), `training.step_settings` (JSON; absent
/// in files written before it was recorded), `training.random.<owner>`.
///
/// A model narrowed for inference (`Module.quantize(to:)`) is saved with `weight_format` ("bf16"
/// or "q8") and `q8_block_size` ("32", Q8 only) in `__metadata__`, its `quantizableWeights` stored
/// as `QuantizedMatrix+SafeTensors.swift` describes, no `lm_head.weight` copy, and no training
/// state; loading such a file gives the narrowed model (docs/quantization.md).
///
/// Loading treats the file as hostile and checks the model against the config: every problem is
/// an `AttentionError` naming what is wrong — `.format` for a missing or unexpected tensor, an
/// unknown model kind, a missing or bad config value, a vocabulary that does not decode or does
/// not match `vocab_size`, a bad training state; `.shape` for a tensor whose shape does not follow
/// from the config. Tensors that PyTorch's nanoGPT writes but the engine does not use are
/// skipped: the causal-mask buffers `transformer.h.{i}.attn.bias` and `.attn.masked_bias`.
///
///     try ModelCheckpoint(model: gpt, tokenizer: tokenizer).write(to: "gpt.safetensors")
///     let checkpoint = try ModelCheckpoint.load(path: "gpt.safetensors")
///     let logits = try checkpoint.languageModel!.logits(tokens: ids, batch: 1, time: ids.count)
public struct ModelCheckpoint {
    /// The model, of a kind in `ModelKinds.all`.
    public var model: any Module
    public var tokenizer: CharTokenizer?
    public var training: TrainingState?

    /// The model when it is a `LanguageModel` (all kinds but `Seq2Seq`).
    public var languageModel: (any LanguageModel)? { model as? any LanguageModel }

    /// The value of `__metadata__["format"]`.
    public static let formatName = "libattention-checkpoint"
    /// The layout version written, and the newest one read.
    public static let formatVersion = 1

    public init(model: any Module, tokenizer: CharTokenizer? = nil, training: TrainingState? = nil) {
        self.model = model
        self.tokenizer = tokenizer
        self.training = training
    }

    // MARK: Writing

    /// Writes the checkpoint to `path` atomically: on failure the previous file stays intact.
    /// Throws when the model kind is unknown, the tokenizer does not match the model's
    /// vocabulary, or the training state names parameters the model lacks.
    public func write(to path: String) throws {
        let (tensors, metadata) = try contents()
        try SafeTensorsFile.write(tensors: tensors, metadata: metadata, to: path)
    }

    /// The bytes of the checkpoint file (see `write(to:)`).
    public func bytes() throws -> [UInt8] {
        let (tensors, metadata) = try contents()
        return try SafeTensorsFile.write(tensors: tensors, metadata: metadata)
    }

    func contents() throws -> ([SafeTensor], [String: String]) {
        guard let (kind, config) = ModelKinds.describe(model), let vocabularySize = config["vocab_size"].flatMap({ Int($0) }) else {
            throw AttentionError.invalid("checkpoint: cannot save a \(type(of: model)) (known kinds: \(ModelKinds.names))")
        }
        var metadata = ["format": Self.formatName, "format_version": "\(Self.formatVersion)", "model": kind.name,
                        "config": jsonObject(config)]
        let weightFormat = model.weightFormat
        var narrowed: [String: QuantizedMatrix] = [:]
        if let weightFormat {
            guard training == nil else {
                throw AttentionError.invalid("checkpoint: a model with \(weightFormat.rawValue) weights has no training state to save")
            }
            metadata.merge(weightFormat.metadata) { $1 }
            for (name, layer) in model.quantizableWeights {
                guard let matrix = layer.quantizedWeight, matrix.format == weightFormat else {
                    throw AttentionError.invalid("checkpoint: '\(name)' is not \(weightFormat.rawValue) like the model's other matrices (narrow models with Module.quantize(to:))")
                }
                narrowed[name] = matrix
            }
        }
        var tensors = model.namedParameters.flatMap { name, parameter in
            narrowed[name]?.safeTensors(named: name)
                ?? [SafeTensor(name: name, shape: parameter.shape, data: parameter.value.scalars)]
        }
        let byName = Dictionary(uniqueKeysWithValues: tensors.map { ($0.name, $0) })
        // A narrowed token table is its own output head: no FP32 copy for nanoGPT.
        for (alias, source) in kind.tiedTensors where weightFormat == nil {
            guard var tensor = byName[source] else { continue }
            tensor.name = alias
            tensors.append(tensor)
        }
        if let tokenizer {
            guard tokenizer.vocabularySize == vocabularySize else {
                throw AttentionError.invalid("checkpoint: the tokenizer has \(tokenizer.vocabularySize) ids, the model \(vocabularySize)")
            }
            metadata["tokenizer.characters"] = jsonString(String(String.UnicodeScalarView(tokenizer.characters)))
        }
        if let training {
            for (name, moments) in training.moments.sorted(by: { $0.key < $1.key }) {
                guard let parameter = byName[name] else {
                    throw AttentionError.invalid("checkpoint: the training state has moments for '\(name)', which the model lacks")
                }
                tensors.append(SafeTensor(name: "optimizer.m.\(name)", shape: parameter.shape, data: moments.m))
                tensors.append(SafeTensor(name: "optimizer.v.\(name)", shape: parameter.shape, data: moments.v))
            }
            metadata["training.step"] = "\(training.step)"
            metadata["training.optimizer_step"] = "\(training.optimizerStep)"
            let schedule = training.schedule
            metadata["training.schedule"] = jsonObject([
                "peak": "\(schedule.peak)", "minimum": "\(schedule.minimum)",
                "warmup_steps": "\(schedule.warmupSteps)", "total_steps": "\(schedule.totalSteps)"])
            if let settings = training.stepSettings {
                metadata["training.step_settings"] = jsonObject(
                    Dictionary(uniqueKeysWithValues: settings.fields.map { ($0.name, $0.value) }))
            }
            for (owner, random) in training.randomStates {
                metadata["training.random.\(owner)"] = random.stateDescription
            }
        }
        return (tensors, metadata)
    }

    // MARK: Reading

    /// Loads the checkpoint at `path`.
    public static func load(path: String) throws -> ModelCheckpoint {
        let file = try SafeTensorsFile.read(path: path)
        do {
            return try ModelCheckpoint(file)
        } catch let error as AttentionError {
            throw AttentionError(error.kind, "\(path): \(error.message)")
        }
    }

    /// Loads a checkpoint held in memory.
    public static func load(bytes: UnsafeRawBufferPointer) throws -> ModelCheckpoint {
        try ModelCheckpoint(SafeTensorsFile.read(bytes: bytes))
    }

    /// Loads a checkpoint held in memory.
    public static func load(bytes: [UInt8]) throws -> ModelCheckpoint {
        try bytes.withUnsafeBytes { try load(bytes: $0) }
    }

    /// Builds the model described by an already parsed safetensors file (see the type's
    /// documentation for what is checked).
    public init(_ file: SafeTensorsFile) throws {
        let metadata = file.metadata
        guard let versionText = metadata["format_version"] else {
            throw AttentionError(.format, "checkpoint: __metadata__ has no 'format_version' (a bare state dict? export it with scripts/export_nanogpt.py)")
        }
        guard let version = Int(versionText), (1...Self.formatVersion).contains(version) else {
            throw AttentionError(.format, "checkpoint: format_version '\(versionText)' is not one this reader knows (1...\(Self.formatVersion))")
        }
        if let format = metadata["format"], format != Self.formatName {
            throw AttentionError(.format, "checkpoint: format '\(format)' is not '\(Self.formatName)'")
        }
        guard let kindName = metadata["model"] else { throw AttentionError(.format, "checkpoint: __metadata__ has no 'model' kind") }
        guard let kind = ModelKinds.named(kindName) else {
            throw AttentionError(.format, "checkpoint: unknown model kind '\(kindName)' (known: \(ModelKinds.names))")
        }
        guard let configText = metadata["config"] else { throw AttentionError(.format, "checkpoint: __metadata__ has no 'config'") }
        let config = try parseConfig(configText)
        let weightFormat: WeightFormat?
        do {
            weightFormat = try WeightFormat.stored(in: metadata)
        } catch let error as AttentionError {
            throw AttentionError(error.kind, "checkpoint: \(error.message)")
        }
        let model = try Self.makeModel(kind, config, available: file.tensors.reduce(0) { $0 + $1.data.count })
        let described = "model '\(kindName)' with config \(configText)"

        let narrowed = weightFormat == nil ? [:] : Dictionary(uniqueKeysWithValues: model.quantizableWeights.map { ($0.name, $0.layer) })
        var used = Set<String>()
        for (name, parameter) in model.namedParameters {
            do {
                if let weightFormat, let layer = narrowed[name] {
                    try layer.adoptQuantizedWeight(QuantizedMatrix(file, named: name, shape: parameter.shape, format: weightFormat))
                    used.insert(name)
                    if weightFormat == .q8 { used.insert(QuantizedMatrix.scalesName(of: name)) }
                    continue
                }
                let tensor = try file.tensor(named: name)
                guard tensor.dtype.isFloatingPoint else {
                    throw AttentionError(.format, "tensor '\(name)' is \(tensor.dtype.rawValue), not a floating-point type")
                }
                try parameter.assign(Tensor(shape: parameter.shape, values: file.tensor(named: name, shape: parameter.shape)))
            } catch let error as AttentionError {
                throw AttentionError(error.kind, "checkpoint: \(error.message) (needed by \(described))")
            }
            used.insert(name)
        }
        // The model's initial values were replaced (or, for narrowed matrices, released): give
        // their buffers back to the system rather than keep them in the tensor buffer cache.
        BufferPool.releaseCached()
        for (alias, source) in kind.tiedTensors where weightFormat == nil {
            guard let tied = try? file.tensor(named: alias) else { continue }
            let original = try file.tensor(named: source)
            guard tied.shape == original.shape, tied.data.elementsEqual(original.data, by: { $0.bitPattern == $1.bitPattern }) else {
                throw AttentionError(.format, "checkpoint: '\(alias)' differs from '\(source)'; the \(kindName) ties them (shape \(describeShape(tied.shape)))")
            }
            used.insert(alias)
        }

        let training = try Self.trainingState(file, model: model)
        if let weightFormat, training != nil {
            throw AttentionError(.format, "checkpoint: a \(weightFormat.rawValue) checkpoint cannot hold a training state (quantized models do not train)")
        }
        if let unexpected = file.tensors.map(\.name).first(where: {
            !used.contains($0) && !kind.isIgnoredTensor($0) && !(training != nil && $0.hasPrefix("optimizer."))
        }) {
            throw AttentionError(.format, "checkpoint: unexpected tensor '\(unexpected)' for \(described)")
        }

        var tokenizer: CharTokenizer?
        if let text = metadata["tokenizer.characters"] {
            guard case .string(let characters) = try? JSONValue.parse(Array(text.utf8)) else {
                throw AttentionError(.format, "checkpoint: 'tokenizer.characters' is not a JSON string")
            }
            let decoded = try CharTokenizer(characters: Array(characters.unicodeScalars))
            let vocabularySize = config["vocab_size"].flatMap { Int($0) } ?? 0
            guard decoded.vocabularySize == vocabularySize else {
                throw AttentionError(.format, "checkpoint: the vocabulary has \(decoded.characters.count) characters + \(CharTokenizer.specialCount) special tokens = \(decoded.vocabularySize) ids, but vocab_size is \(vocabularySize)")
            }
            tokenizer = decoded
        }
        self.init(model: model, tokenizer: tokenizer, training: training)
    }

    /// The model of `config` when the file's `available` values can hold its parameters: more
    /// than 8 times as many plus 2^20 is refused before anything is allocated (a hostile config
    /// must not allocate terabytes); the slack lets a config that is only somewhat off build its
    /// model, so that the error names the tensor that does not fit. Config errors are `.format`.
    private static func makeModel(_ kind: any ModelKind, _ config: [String: String], available: Int) throws -> any Module {
        do {
            let required = try kind.parameterCount(config: config)
            guard Double(required) <= 8 * Double(available) + Double(1 << 20) else {
                throw AttentionError(.format, "the config of model '\(kind.name)' needs at least \(required) parameters, the file holds \(available) values")
            }
            return try kind.makeModel(config: config, seed: 0)
        } catch let error as AttentionError {
            let message = error.message.hasPrefix("bad config") || error.message.hasPrefix("unknown config") || error.message.hasPrefix("the config")
                ? error.message : "bad config for model '\(kind.name)': \(error.message)"
            throw AttentionError(.format, "checkpoint: \(message)")
        }
    }

    /// The training state stored in `file`, or nil when it holds none (no `training.step` and no
    /// `optimizer.*` tensors).
    private static func trainingState(_ file: SafeTensorsFile, model: any Module) throws -> TrainingState? {
        let metadata = file.metadata
        guard let stepText = metadata["training.step"] else {
            if let stray = file.tensors.first(where: { $0.name.hasPrefix("optimizer.") }) {
                throw AttentionError(.format, "checkpoint: tensor '\(stray.name)' but no 'training.step' in __metadata__")
            }
            return nil
        }
        func integer(_ key: String, _ text: String?) throws -> Int {
            guard let text, let value = Int(text), value >= 0 else {
                throw AttentionError(.format, "checkpoint: '\(key)' is missing or not a non-negative integer")
            }
            return value
        }
        let step = try integer("training.step", stepText)
        let optimizerStep = try integer("training.optimizer_step", metadata["training.optimizer_step"])

        guard let scheduleText = metadata["training.schedule"] else {
            throw AttentionError(.format, "checkpoint: 'training.schedule' is missing")
        }
        let values = try parseConfig(scheduleText, key: "training.schedule")
        guard let peak = values["peak"].flatMap(Float.init), let minimum = values["minimum"].flatMap(Float.init),
              let warmup = values["warmup_steps"].flatMap({ Int($0) }), let total = values["total_steps"].flatMap({ Int($0) }) else {
            throw AttentionError(.format, "checkpoint: 'training.schedule' needs numbers peak, minimum, warmup_steps, total_steps: \(scheduleText)")
        }
        let schedule: WarmupCosineLearningRate
        do {
            schedule = try WarmupCosineLearningRate(peak: peak, minimum: minimum, warmupSteps: warmup, totalSteps: total)
        } catch let error as AttentionError {
            throw AttentionError(.format, "checkpoint: 'training.schedule': \(error.message)")
        }

        let stepSettings = try metadata["training.step_settings"].map(stepSettings)

        var randomStates: [String: Random] = [:]
        for (key, text) in metadata where key.hasPrefix("training.random.") {
            let owner = String(key.dropFirst("training.random.".count))
            do {
                randomStates[owner] = try Random(stateDescription: text)
            } catch let error as AttentionError {
                throw AttentionError(.format, "checkpoint: '\(key)': \(error.message)")
            }
        }

        let shapes = Dictionary(uniqueKeysWithValues: model.namedParameters.map { ($0.name, $0.parameter.shape) })
        var moments: [String: TrainingState.Moments] = [:]
        for tensor in file.tensors where tensor.name.hasPrefix("optimizer.m.") {
            let name = String(tensor.name.dropFirst("optimizer.m.".count))
            guard let shape = shapes[name] else {
                throw AttentionError(.format, "checkpoint: '\(tensor.name)' is not the moment of a parameter")
            }
            let v: [Float]
            do {
                v = try file.tensor(named: "optimizer.v.\(name)", shape: shape)
            } catch let error as AttentionError {
                throw AttentionError(error.kind, "checkpoint: \(error.message) (the second moment of '\(name)')")
            }
            guard tensor.shape == shape else {
                throw AttentionError(.format, "checkpoint: '\(tensor.name)' has shape \(describeShape(tensor.shape)), the parameter \(describeShape(shape))")
            }
            moments[name] = TrainingState.Moments(m: tensor.data, v: v)
        }
        if let orphan = file.tensors.first(where: {
            $0.name.hasPrefix("optimizer.") && !$0.name.hasPrefix("optimizer.m.")
                && !($0.name.hasPrefix("optimizer.v.") && moments[String($0.name.dropFirst("optimizer.v.".count))] != nil)
        }) {
            throw AttentionError(.format, "checkpoint: unexpected tensor '\(orphan.name)' (optimizer tensors are optimizer.m.<parameter> and optimizer.v.<parameter>)")
        }
        return TrainingState(step: step, optimizerStep: optimizerStep, moments: moments, randomStates: randomStates,
                             schedule: schedule, stepSettings: stepSettings)
    }

    /// The step settings in `training.step_settings` (written since the checkpoint format
    /// recorded them; older files have none).
    private static func stepSettings(_ text: String) throws -> TrainingState.StepSettings {
        let values = try parseConfig(text, key: "training.step_settings")
        func number(_ key: String) -> Float? { values[key].flatMap(Float.init).flatMap { $0.isFinite ? $0 : nil } }
        guard let batchSize = values["batch_size"].flatMap({ Int($0) }), batchSize >= 1,
              let weightDecay = number("weight_decay"), let beta1 = number("beta1"), let beta2 = number("beta2"),
              let clipText = values["gradient_clip"], clipText == "none" || number("gradient_clip") != nil else {
            throw AttentionError(.format, "checkpoint: 'training.step_settings' needs batch_size >= 1, finite weight_decay, beta1, beta2, and gradient_clip (a number or \"none\"): \(text)")
        }
        return TrainingState.StepSettings(batchSize: batchSize, weightDecay: weightDecay, beta1: beta1, beta2: beta2,
                                          gradientClip: clipText == "none" ? nil : number("gradient_clip"))
    }
}

/// A flat JSON object (`config`, `training.schedule`) as strings: numbers keep their literal
/// text, booleans become "true"/"false". Throws for other JSON or nested values.
private func parseConfig(_ text: String, key: String = "config") throws -> [String: String] {
    guard case .object(let members) = try? JSONValue.parse(Array(text.utf8)) else {
        throw AttentionError(.format, "checkpoint: '\(key)' is not a JSON object: \(text)")
    }
    var result: [String: String] = [:]
    for member in members {
        switch member.value {
        case .number(let literal): result[member.key] = literal
        case .string(let string): result[member.key] = string
        case .bool(let flag): result[member.key] = flag ? "true" : "false"
        default:
            throw AttentionError(.format, "checkpoint: '\(key)' value '\(member.key)' is \(member.value.kindDescription), not a number or string")
        }
    }
    return result
}

/// `values` as a JSON object with sorted keys; a value that is a JSON number is written as one.
private func jsonObject(_ values: [String: String]) -> String {
    var json = Array("{".utf8)
    for (index, (key, value)) in values.sorted(by: { $0.key < $1.key }).enumerated() {
        if index > 0 { json.append(UInt8(ascii: ",")) }
        SafeTensorsFile.appendJSONString(key, to: &json)
        json.append(UInt8(ascii: ":"))
        if case .number = try? JSONValue.parse(Array(value.utf8)) {
            json += Array(value.utf8)
        } else {
            SafeTensorsFile.appendJSONString(value, to: &json)
        }
    }
    json.append(UInt8(ascii: "}"))
    return String(decoding: json, as: UTF8.self)
}

/// `text` as a JSON string literal.
private func jsonString(_ text: String) -> String {
    var json: [UInt8] = []
    SafeTensorsFile.appendJSONString(text, to: &json)
    return String(decoding: json, as: UTF8.self)
}
