import AttentionEngine
import CAttention

// attn_model_config ↔ the config dictionaries of the engine's model kinds (`ModelKinds`), and
// the default configs. Nothing here knows a concrete kind: each field maps to the config key of
// the same name (n_layer is a seq2seq's n_encoder_layer), and a kind reads the keys it has.

/// The struct's integer fields and their config keys; each is checked against the engine's
/// `ModelConfigLimits` (so that the Int conversions cannot trap, nothing absurd is built before
/// the memory check, and init accepts exactly what load accepts).
private let integerFields: [(key: String, field: WritableKeyPath<attn_model_config, Int64>)] = [
    ("n_layer", \.n_layer), ("n_decoder_layer", \.n_decoder_layer), ("n_head", \.n_head),
    ("n_embd", \.n_embd), ("block_size", \.block_size),
    ("max_source_length", \.max_source_length), ("max_target_length", \.max_target_length),
    ("hidden_size", \.hidden_size), ("kernel_size", \.kernel_size), ("vocab_size", \.vocab_size),
]

/// The config key of struct field `key` for `kind`: n_layer counts a seq2seq's encoder layers.
private func configKey(_ key: String, _ kind: any ModelKind) -> String {
    key == "n_layer" && kind.defaultConfig["n_encoder_layer"] != nil ? "n_encoder_layer" : key
}

/// The C name of a model family (an attn_model_kind value), for messages.
func kindName(_ kind: Int32) -> String {
    ModelKinds.identified(by: kind)?.name ?? "unknown kind \(kind)"
}

/// The registered kind of `kind` (an attn_model_kind value), or an error naming `function`.
func modelKind(_ kind: Int32, _ function: String) throws -> any ModelKind {
    guard let found = ModelKinds.identified(by: kind) else {
        throw AttentionError.invalid("\(function): \(kindName(kind)); expected ATTN_MODEL_GPT, _SEQ2SEQ, _RNN, _CNN or _BERT")
    }
    return found
}

/// `config` (a kind's config dictionary) as an attn_model_config of `kind`, struct_size and
/// seed unset.
private func modelConfig(_ config: [String: String], kind: any ModelKind) -> attn_model_config {
    var c = attn_model_config()
    c.kind = Int32(kind.abiIdentifier)
    for (key, field) in integerFields {
        if let value = config[configKey(key, kind)].flatMap({ Int64($0) }) { c[keyPath: field] = value }
    }
    c.dropout = config["dropout"].flatMap { Float($0) } ?? 0
    c.cell = Int32((config["cell"] == "lstm" ? ATTN_CELL_LSTM : ATTN_CELL_GRU).rawValue)
    return c
}

/// The default small model of each kind (see attn_model_config_default): the kind's
/// `defaultConfig`, shared with the CLI. struct_size unset.
func defaultModelConfig(_ kind: Int32, _ function: String) throws -> attn_model_config {
    let found = try modelKind(kind, function)
    return modelConfig(found.defaultConfig, kind: found)
}

/// A model freshly initialized from `c` with `vocabularySize` ids. Every size the kind reads is
/// range-checked here, and the weights against the machine's memory, before the kind builds it.
func makeModel(_ c: attn_model_config, vocabularySize: Int, _ function: String) throws -> any Module {
    let kind = try modelKind(c.kind, function)
    var config: [String: String] = [:]
    for (key, field) in integerFields where key != "vocab_size" {
        let name = configKey(key, kind)
        guard kind.defaultConfig[name] != nil else { continue }
        let value = c[keyPath: field]
        let range = ModelConfigLimits.range(of: name)
        guard value >= Int64(range.lowerBound), value <= Int64(range.upperBound) else {
            throw AttentionError.invalid("\(function): \(key) = \(value) must be in \(range.lowerBound)...\(range.upperBound) for a \(kind.name) model")
        }
        config[name] = "\(value)"
    }
    if kind.defaultConfig["dropout"] != nil { config["dropout"] = "\(c.dropout)" }
    if kind.defaultConfig["cell"] != nil {
        switch UInt32(bitPattern: c.cell) {
        case ATTN_CELL_GRU.rawValue: config["cell"] = "gru"
        case ATTN_CELL_LSTM.rawValue: config["cell"] = "lstm"
        default: throw AttentionError.invalid("\(function): cell \(c.cell) is neither ATTN_CELL_GRU nor ATTN_CELL_LSTM")
        }
    }
    config["vocab_size"] = "\(vocabularySize)"
    try requireMemory(floats: Double(try kind.parameterCount(config: config)), "the model's weights", function)
    return try kind.makeModel(config: config, seed: c.seed)
}

/// The architecture of `model` as an attn_model_config (struct_size unset, seed 0).
func modelConfig(of model: any Module) throws -> attn_model_config {
    guard let (kind, config) = ModelKinds.describe(model) else {
        throw AttentionError(.internal, "attn_model_get_config: unsupported model type \(type(of: model))")
    }
    return modelConfig(config, kind: kind)
}
