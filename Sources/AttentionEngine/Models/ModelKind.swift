/// One kind of model as the checkpoint reader, the C ABI and the `attn` CLI see it: its name,
/// its configuration as a flat dictionary (nanoGPT-style keys and string values), the defaults
/// everyone starts from, the exact parameter count, how to build it and its checkpoint layout.
/// Each kind conforms once, in its own file (`GPT+Kind.swift`, …), and is registered in
/// `ModelKinds.all`; nothing else switches on concrete model types.
///
///     let kind = ModelKinds.named("gpt")!
///     var config = kind.defaultConfig
///     config["vocab_size"] = "\(tokenizer.vocabularySize)"
///     let model = try kind.makeModel(config: config, seed: 1)
public protocol ModelKind: Sendable {
    /// The kind's name: the checkpoint's `model`, the CLI's `--model`, messages ("gpt").
    var name: String { get }
    /// The kind's value of `attn_model_kind` in include/attention.h.
    var abiIdentifier: Int32 { get }
    /// What models of this kind can do besides a forward pass.
    var capabilities: ModelCapabilities { get }
    /// The default of every config key but `vocab_size` (which comes from the tokenizer): the one
    /// set of defaults of the CLI and of `attn_model_config_default`.
    var defaultConfig: [String: String] { get }
    /// The exact number of parameters (floats) of the model `config` describes (computed
    /// without allocating, so that an absurd config is refused before it is built). Throws
    /// `.format` for a missing, unknown or malformed key, `.invalid` for an invalid config.
    func parameterCount(config: [String: String]) throws -> Int
    /// A freshly initialized model of `config` (all keys, `vocab_size` included), drawn from
    /// `Random(seed:)`. Throws as `parameterCount`.
    func makeModel(config: [String: String], seed: UInt64) throws -> any Module
    /// The config of `model` (with `vocab_size`; a "model" entry is ignored) when it is of this kind.
    func config(of model: any Module) -> [String: String]?
    /// Checkpoint tensors written as copies of a parameter, for other tools (alias, source).
    var tiedTensors: [(alias: String, source: String)] { get }
    /// Whether a checkpoint reader skips tensor `name` (written by other tools, unused here).
    func isIgnoredTensor(_ name: String) -> Bool
}

extension ModelKind {
    public var tiedTensors: [(alias: String, source: String)] { [] }
    public func isIgnoredTensor(_ name: String) -> Bool { false }

    /// Bytes of float32 weights, plus their gradients and both AdamW moments with `training`.
    public func memoryEstimate(config: [String: String], training: Bool) throws -> Int {
        try parameterCount(config: config) * MemoryLayout<Float>.size * (training ? 4 : 1)
    }
}

/// What a model kind supports besides a forward pass (a pretrained encoder, for one, neither
/// trains here nor generates).
public struct ModelCapabilities: OptionSet, Sendable {
    public let rawValue: Int
    public init(rawValue: Int) { self.rawValue = rawValue }

    /// A `Trainer` can train it (from its loss on batches).
    public static let training = ModelCapabilities(rawValue: 1 << 0)
    /// A next-token `LanguageModel`: trains on a text, continues a prompt.
    public static let languageModel = ModelCapabilities(rawValue: 1 << 1)
    /// An encoder–decoder that answers a question (trains on question–answer pairs).
    public static let answering = ModelCapabilities(rawValue: 1 << 2)
}

/// The registry of model kinds. Adding a kind: its conformance in its own file, and one line here.
public enum ModelKinds {
    public static let all: [any ModelKind] = [
        GPTKind(),
        Seq2SeqKind(),
        RecurrentLMKind(),
        ConvolutionalLMKind(),
        BertKind(),
    ]

    /// The kind called `name`, or nil.
    public static func named(_ name: String) -> (any ModelKind)? { all.first { $0.name == name } }

    /// The kind whose `abiIdentifier` is `identifier`, or nil.
    public static func identified(by identifier: Int32) -> (any ModelKind)? {
        all.first { $0.abiIdentifier == identifier }
    }

    /// The kind of `model` and its config, or nil for a model of no registered kind.
    public static func describe(_ model: any Module) -> (kind: any ModelKind, config: [String: String])? {
        for kind in all {
            if var config = kind.config(of: model) {
                config["model"] = nil
                return (kind, config)
            }
        }
        return nil
    }

    /// The names of all kinds, for messages: "gpt, seq2seq, rnn, cnn".
    public static var names: String { all.map(\.name).joined(separator: ", ") }
}

/// Reading a config dictionary: typed values with `.format` errors naming the kind and key, and
/// a check that every key is known.
public struct ConfigReader {
    public let kind: String
    public let config: [String: String]

    /// Throws naming the first key of `config` outside `known`.
    public init(kind: String, config: [String: String], known: [String]) throws {
        self.kind = kind
        self.config = config
        if let unknown = config.keys.sorted().first(where: { !known.contains($0) }) {
            throw AttentionError(.format, "unknown config key '\(unknown)' for model '\(kind)'")
        }
    }

    /// The integer at `key`, which must lie in `ModelConfigLimits.range(of: key)`: the same limits
    /// apply to a new model and to a loaded checkpoint, so no later range or allocation can trap.
    public func integer(_ key: String) throws -> Int {
        guard let text = config[key], let value = Int(text) else {
            throw AttentionError(.format, "bad config for model '\(kind)': '\(key)' is missing or not an integer")
        }
        let range = ModelConfigLimits.range(of: key)
        guard range.contains(value) else {
            throw AttentionError(.format, "bad config for model '\(kind)': \(key) = \(value) must be in \(range.lowerBound)...\(range.upperBound)")
        }
        return value
    }

    /// The number at `key`, or `absent` when the key is missing.
    public func number(_ key: String, absent: Float) throws -> Float {
        guard let text = config[key] else { return absent }
        guard let value = Float(text) else {
            throw AttentionError(.format, "bad config for model '\(kind)': '\(key)' is not a number")
        }
        return value
    }
}

/// `count` of parameters computed in Double (so that no config can overflow it) as an Int,
/// throwing when it is beyond what could ever be allocated (2^50 floats).
func exactParameterCount(_ count: Double, kind: String) throws -> Int {
    guard count >= 0, count <= Double(1 << 50) else {
        throw AttentionError.invalid("the config of model '\(kind)' needs at least \(count) parameters, more than can be allocated")
    }
    return Int(count)
}

/// The accepted range of every integer config key, shared by model creation (the C ABI checks
/// its struct against it) and checkpoint loading.
///
/// - vocab_size ≥ 5: the four special tokens (PAD, BOS, EOS, UNK) plus at least one real token,
///   so that sampling can return something that is not a special token. ≤ 2^18 (262,144): more
///   than any character or subword vocabulary this library trains, and small enough that
///   initializing the (V,C) table and the (B,T,V) logits of a minimal batch takes seconds, not
///   the minutes a 2^24 vocabulary spent silently.
/// - max_target_length ≥ 2: one answer token plus EOS.
/// - layer counts and kernel_size ≤ 1024, widths and lengths ≤ 2^24: far beyond any model that
///   fits in memory, small enough that products of a few of them cannot overflow Int.
public enum ModelConfigLimits {
    public static let largestVocabulary = 1 << 18
    public static let smallestVocabulary = 5

    /// The accepted values of config key `key` (1...2^24 for keys not listed).
    public static func range(of key: String) -> ClosedRange<Int> {
        switch key {
        case "vocab_size": return smallestVocabulary...largestVocabulary
        case "max_target_length": return 2...(1 << 24)
        case "n_layer", "n_encoder_layer", "n_decoder_layer", "kernel_size": return 1...1024
        default: return 1...(1 << 24)
        }
    }
}
