/// A model (`GPT`, `RecurrentLM`, `ConvolutionalLM` or `Seq2Seq`) with its tokenizer and, optionally, the state of its training
/// run, stored as one safetensors file (layout and tensor names in docs/checkpoints.md).
///
/// Tensors: the model's parameters under their nanoGPT names (`transformer.wte.weight`, …), the
/// GPT's `lm_head.weight` (a copy of `transformer.wte.weight`, for nanoGPT), and with a training
/// state the AdamW moments `optimizer.m.<parameter>` and `optimizer.v.<parameter>`.
/// `__metadata__`: `format` ("libattention-checkpoint"), `format_version` ("1"), `model` (the
/// kind, e.g. "gpt"), `config` (a JSON object with nanoGPT's names), `tokenizer.characters` (a
/// JSON string of the tokenizer's characters in id order) and the training keys `training.step`,
/// `training.optimizer_step`, `training.schedule` (JSON), `training.random.<owner>`.
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
    /// The model: a `GPT`, `RecurrentLM`, `ConvolutionalLM` or `Seq2Seq` (see `CheckpointLayout.kinds`).
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
        guard let (kind, config, vocabularySize) = CheckpointLayout.describe(model), let layout = CheckpointLayout(kind: kind) else {
            throw AttentionError.invalid("checkpoint: cannot save a \(type(of: model)) (known kinds: \(CheckpointLayout.kinds.joined(separator: ", ")))")
        }
        var metadata = ["format": Self.formatName, "format_version": "\(Self.formatVersion)", "model": kind,
                        "config": jsonObject(config)]
        var tensors = model.namedParameters.map {
            SafeTensor(name: $0.name, shape: $0.parameter.shape, data: $0.parameter.value.scalars)
        }
        let byName = Dictionary(uniqueKeysWithValues: tensors.map { ($0.name, $0) })
        for (alias, source) in layout.tiedTensors {
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
        guard let kind = metadata["model"] else { throw AttentionError(.format, "checkpoint: __metadata__ has no 'model' kind") }
        guard let layout = CheckpointLayout(kind: kind) else {
            throw AttentionError(.format, "checkpoint: unknown model kind '\(kind)' (known: \(CheckpointLayout.kinds.joined(separator: ", ")))")
        }
        guard let configText = metadata["config"] else { throw AttentionError(.format, "checkpoint: __metadata__ has no 'config'") }
        let config = try parseConfig(configText)
        let model = try layout.makeModel(config, file.tensors.reduce(0) { $0 + $1.data.count })
        let described = "model '\(kind)' with config \(configText)"

        var used = Set<String>()
        for (name, parameter) in model.namedParameters {
            let data: [Float]
            do {
                data = try file.tensor(named: name, shape: parameter.shape)
            } catch let error as AttentionError {
                throw AttentionError(error.kind, "checkpoint: \(error.message) (needed by \(described))")
            }
            try parameter.assign(Tensor(shape: parameter.shape, values: data))
            used.insert(name)
        }
        for (alias, source) in layout.tiedTensors {
            guard let tied = try? file.tensor(named: alias) else { continue }
            let original = try file.tensor(named: source)
            guard tied.shape == original.shape, tied.data.elementsEqual(original.data, by: { $0.bitPattern == $1.bitPattern }) else {
                throw AttentionError(.format, "checkpoint: '\(alias)' differs from '\(source)'; the \(kind) ties them (shape \(describeShape(tied.shape)))")
            }
            used.insert(alias)
        }

        let training = try Self.trainingState(file, model: model)
        if let unexpected = file.tensors.map(\.name).first(where: {
            !used.contains($0) && !layout.isIgnored($0) && !(training != nil && $0.hasPrefix("optimizer."))
        }) {
            throw AttentionError(.format, "checkpoint: unexpected tensor '\(unexpected)' for \(described)")
        }

        var tokenizer: CharTokenizer?
        if let text = metadata["tokenizer.characters"] {
            guard case .string(let characters) = try? JSONValue.parse(Array(text.utf8)) else {
                throw AttentionError(.format, "checkpoint: 'tokenizer.characters' is not a JSON string")
            }
            let decoded = try CharTokenizer(characters: Array(characters.unicodeScalars))
            let vocabularySize = CheckpointLayout.describe(model)?.vocabularySize ?? 0
            guard decoded.vocabularySize == vocabularySize else {
                throw AttentionError(.format, "checkpoint: the vocabulary has \(decoded.characters.count) characters + \(CharTokenizer.specialCount) special tokens = \(decoded.vocabularySize) ids, but vocab_size is \(vocabularySize)")
            }
            tokenizer = decoded
        }
        self.init(model: model, tokenizer: tokenizer, training: training)
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
                             schedule: schedule)
    }
}

/// What differs between model kinds in a checkpoint: how the model is built from its config,
/// which tensors are written as copies of a parameter (alias → parameter), and which tensors of
/// other writers are skipped. Add a case here when a model kind is added.
struct CheckpointLayout {
    static let kinds = ["gpt", "rnn", "cnn", "seq2seq"]

    /// The kind, config (nanoGPT-style names, without "model") and vocabulary size of a model
    /// of a known kind.
    static func describe(_ model: any Module) -> (kind: String, config: [String: String], vocabularySize: Int)? {
        var config: [String: String]
        let vocabularySize: Int
        switch model {
        case let model as any LanguageModel: (config, vocabularySize) = (model.configDictionary, model.vocabularySize)
        case let seq2seq as Seq2Seq: (config, vocabularySize) = (seq2seq.config.dictionary, seq2seq.config.vocabSize)
        default: return nil
        }
        guard let kind = config.removeValue(forKey: "model") else { return nil }
        return (kind, config, vocabularySize)
    }

    /// Builds the model of `config` when the file's `available` values can hold its parameters
    /// (checked before anything is allocated: a hostile config must not allocate terabytes).
    let makeModel: (_ config: [String: String], _ available: Int) throws -> any Module
    let tiedTensors: [(alias: String, source: String)]
    let isIgnored: (String) -> Bool

    init?(kind: String) {
        switch kind {
        case "gpt":
            makeModel = { config, available in
                try checkKeys(config, known: ["n_layer", "n_head", "n_embd", "block_size", "vocab_size", "dropout", "bias"], kind: kind)
                // nanoGPT's `bias: False` drops the biases of Linear and LayerNorm; the engine's GPT has them.
                if let bias = config["bias"], bias != "true" {
                    throw AttentionError(.format, "checkpoint: config bias = \(bias) is not supported (the GPT has biases)")
                }
                let gpt = try building(kind) { try GPTConfig(dictionary: config) }
                let (C, V, L) = (Double(gpt.nEmbd), Double(gpt.vocabSize), Double(gpt.blockSize))
                try checkSize(kind, atLeast: (V + L) * C + Double(gpt.nLayer) * 12 * C * C, available: available)
                return try building(kind) { try GPT(config: gpt, seed: 0) }
            }
            tiedTensors = [("lm_head.weight", "transformer.wte.weight")]
            isIgnored = { name in
                // nanoGPT's causal-mask buffers: transformer.h.{i}.attn.bias / .attn.masked_bias.
                for suffix in [".attn.bias", ".attn.masked_bias"] where name.hasPrefix("transformer.h.") && name.hasSuffix(suffix) {
                    let layer = name.dropFirst("transformer.h.".count).dropLast(suffix.count)
                    if !layer.isEmpty, layer.allSatisfy(\.isASCII), layer.allSatisfy(\.isNumber) { return true }
                }
                return false
            }
        case "rnn":
            makeModel = { config, available in
                let sizes = try integers(config, ["n_layer", "n_embd", "hidden_size", "block_size", "vocab_size"], extra: ["cell"], kind: kind)
                guard let cell = config["cell"].flatMap(RecurrentLMConfig.Cell.init(rawValue:)) else {
                    throw AttentionError(.format, "checkpoint: bad config for model 'rnn': 'cell' \(config["cell"] ?? "(missing)") is not gru or lstm")
                }
                let (E, H, V) = (Double(sizes[1]), Double(sizes[2]), Double(sizes[4]))
                try checkSize(kind, atLeast: V * (E + H) + Double(sizes[0]) * 3 * H * H, available: available)
                return try building(kind) {
                    try RecurrentLM(config: RecurrentLMConfig(cell: cell, nLayer: sizes[0], nEmbd: sizes[1], hiddenSize: sizes[2],
                                                              blockSize: sizes[3], vocabSize: sizes[4]), seed: 0)
                }
            }
            tiedTensors = []
            isIgnored = { _ in false }
        case "cnn":
            makeModel = { config, available in
                let sizes = try integers(config, ["n_layer", "n_embd", "kernel_size", "block_size", "vocab_size"], kind: kind)
                let (C, K, V) = (Double(sizes[1]), Double(sizes[2]), Double(sizes[4]))
                try checkSize(kind, atLeast: V * C + Double(sizes[0]) * C * C * K, available: available)
                return try building(kind) {
                    try ConvolutionalLM(config: ConvolutionalLMConfig(nLayer: sizes[0], nEmbd: sizes[1], kernelSize: sizes[2],
                                                                      blockSize: sizes[3], vocabSize: sizes[4]), seed: 0)
                }
            }
            tiedTensors = []
            isIgnored = { _ in false }
        case "seq2seq":
            makeModel = { config, available in
                let sizes = try integers(config, ["n_encoder_layer", "n_decoder_layer", "n_head", "n_embd", "max_source_length",
                                                  "max_target_length", "vocab_size"], extra: ["dropout"], kind: kind)
                guard let dropout = Float(config["dropout"] ?? "0") else {
                    throw AttentionError(.format, "checkpoint: bad config for model 'seq2seq': 'dropout' is not a number")
                }
                let (C, V, Ls, Lt) = (Double(sizes[3]), Double(sizes[6]), Double(sizes[4]), Double(sizes[5]))
                try checkSize(kind, atLeast: (V + Ls + Lt) * C + (Double(sizes[0]) + Double(sizes[1])) * 12 * C * C, available: available)
                return try building(kind) {
                    try Seq2Seq(config: Seq2SeqConfig(nEncoderLayer: sizes[0], nDecoderLayer: sizes[1], nHead: sizes[2], nEmbd: sizes[3],
                                                      maxSourceLength: sizes[4], maxTargetLength: sizes[5], vocabSize: sizes[6],
                                                      dropout: dropout), seed: 0)
                }
            }
            tiedTensors = []  // the output head is `transformer.wte.weight`; no other tool expects a copy
            isIgnored = { _ in false }
        default:
            return nil
        }
    }
}

/// The integer values of `keys` in `config`, in that order. Throws naming a missing or
/// non-integer value, or a key of `config` outside `keys` and `extra`.
private func integers(_ config: [String: String], _ keys: [String], extra: [String] = [], kind: String) throws -> [Int] {
    try checkKeys(config, known: Set(keys + extra), kind: kind)
    return try keys.map { key in
        guard let text = config[key], let value = Int(text) else {
            throw AttentionError(.format, "checkpoint: bad config for model '\(kind)': '\(key)' is missing or not an integer")
        }
        return value
    }
}

/// Throws when a lower bound of the parameter count implied by the config (`atLeast`, in Double
/// so that it cannot overflow) is far beyond the number of values in the file: more than 8 times
/// as many plus 2^20. The slack lets a config that is only somewhat off build its model, so that
/// the error names the tensor that does not fit; memory stays bounded by the file's size.
private func checkSize(_ kind: String, atLeast required: Double, available: Int) throws {
    guard required <= 8 * Double(available) + Double(1 << 20) else {
        throw AttentionError(.format, "checkpoint: the config of model '\(kind)' needs at least \(required) parameters, the file holds \(available) values")
    }
}

/// What `make` builds from a config; its errors (an invalid config) become `.format` errors
/// naming the kind.
private func building<Built>(_ kind: String, _ make: () throws -> Built) throws -> Built {
    do {
        return try make()
    } catch let error as AttentionError {
        throw AttentionError(.format, "checkpoint: bad config for model '\(kind)': \(error.message)")
    }
}

/// Throws naming the first key of `config` that the model kind does not know.
private func checkKeys(_ config: [String: String], known: Set<String>, kind: String) throws {
    if let unknown = config.keys.sorted().first(where: { !known.contains($0) }) {
        throw AttentionError(.format, "checkpoint: unknown config key '\(unknown)' for model '\(kind)'")
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
