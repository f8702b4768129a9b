/// The pretrained BERT encoder as a model kind ("bert", `attn_model_kind` ATTN_MODEL_BERT): its
/// Hugging Face `config.json` as a registry dictionary, its exact parameter count, a freshly
/// initialized `BertModel`, and the tensors of Hugging Face files it skips.
///
/// | key | `config.json` | default |
/// |---|---|---|
/// | `n_layer` | `num_hidden_layers` | 6 |
/// | `n_head` | `num_attention_heads` | 12 |
/// | `n_embd` | `hidden_size` | 384 |
/// | `block_size` | `max_position_embeddings` | 512 |
/// | `n_inner` | `intermediate_size` | 4 · n_embd |
/// | `type_vocab_size` | `type_vocab_size` | 2 |
/// | `layer_norm_eps` | `layer_norm_eps` | 1e-12 |
/// | `hidden_act` | `hidden_act` ("gelu", "gelu_new", "gelu_pytorch_tanh") | gelu |
/// | `vocab_size` | `vocab_size` | — |
///
/// The defaults are all-MiniLM-L6-v2's shape. The kind neither trains nor generates
/// (no capabilities): a model of it embeds through `SentenceEncoder(model:tokenizer:)`.
public struct BertKind: ModelKind {
    public init() {}
    public var name: String { "bert" }
    public var abiIdentifier: Int32 { 5 }
    public var capabilities: ModelCapabilities { [] }
    public var defaultConfig: [String: String] {
        ["n_layer": "6", "n_head": "12", "n_embd": "384", "block_size": "512", "n_inner": "1536",
         "type_vocab_size": "2", "layer_norm_eps": "1e-12", "hidden_act": "gelu"]
    }

    /// The `BertConfig` of a dictionary (keys in the table above; absent optional keys take
    /// their defaults, "model" is ignored).
    public func parse(_ config: [String: String]) throws -> BertConfig {
        var config = config
        config["model"] = nil
        let reader = try ConfigReader(kind: name, config: config,
                                      known: ["n_layer", "n_head", "n_embd", "block_size", "n_inner", "type_vocab_size",
                                              "layer_norm_eps", "hidden_act", "vocab_size"])
        let C = try reader.integer("n_embd")
        let activation: BertConfig.Activation
        switch config["hidden_act"] ?? "gelu" {
        case "gelu": activation = .geluErf
        case "gelu_new", "gelu_pytorch_tanh": activation = .geluTanh
        case let other:
            throw AttentionError(.format, "bad config for model '\(name)': hidden_act '\(other)' is not supported ('gelu', 'gelu_new', 'gelu_pytorch_tanh')")
        }
        let parsed = BertConfig(vocabSize: try reader.integer("vocab_size"), hiddenSize: C,
                                layerCount: try reader.integer("n_layer"), headCount: try reader.integer("n_head"),
                                intermediateSize: config["n_inner"] == nil ? 4 * C : try reader.integer("n_inner"),
                                maxPositions: try reader.integer("block_size"),
                                typeVocabSize: config["type_vocab_size"] == nil ? 2 : try reader.integer("type_vocab_size"),
                                layerNormEps: try reader.number("layer_norm_eps", absent: 1e-12), activation: activation)
        do {
            try parsed.validate()
        } catch let error as AttentionError {
            let detail = error.message.hasPrefix("config.json: ") ? String(error.message.dropFirst("config.json: ".count)) : error.message
            throw AttentionError(.format, "bad config for model '\(name)': \(detail)")
        }
        return parsed
    }

    /// The registry dictionary of `config` (all keys of the table, with `vocab_size`).
    public func dictionary(_ config: BertConfig) -> [String: String] {
        ["n_layer": "\(config.layerCount)", "n_head": "\(config.headCount)", "n_embd": "\(config.hiddenSize)",
         "block_size": "\(config.maxPositions)", "n_inner": "\(config.intermediateSize)",
         "type_vocab_size": "\(config.typeVocabSize)", "layer_norm_eps": "\(config.layerNormEps)",
         "hidden_act": config.activation == .geluErf ? "gelu" : "gelu_new", "vocab_size": "\(config.vocabSize)"]
    }

    /// Embeddings (V + P + TT)·C + LayerNorm 2C, and per layer query, key, value and output
    /// (C,C)+C each, two LayerNorms 2C each, FFN (F,C)+F and (C,F)+C: 4C² + 2FC + F + 9C.
    /// (Hugging Face files also hold the pooler, which sentence embeddings do not use.)
    public func parameterCount(config: [String: String]) throws -> Int {
        let b = try parse(config)
        let (V, C, F) = (Double(b.vocabSize), Double(b.hiddenSize), Double(b.intermediateSize))
        let (P, TT, L) = (Double(b.maxPositions), Double(b.typeVocabSize), Double(b.layerCount))
        return try exactParameterCount((V + P + TT) * C + 2 * C + L * (4 * C * C + 2 * F * C + F + 9 * C), kind: name)
    }

    public func makeModel(config: [String: String], seed: UInt64) throws -> any Module {
        try BertModel(config: parse(config), seed: seed)
    }

    public func config(of model: any Module) -> [String: String]? {
        (model as? BertModel).map { dictionary($0.config) }
    }

    /// Hugging Face's `embeddings.position_ids` buffer and the pooler (`pooler.dense.*`), with
    /// or without the `bert.` prefix.
    public func isIgnoredTensor(_ name: String) -> Bool {
        let bare = name.hasPrefix("bert.") ? String(name.dropFirst("bert.".count)) : name
        return ["embeddings.position_ids", "pooler.dense.weight", "pooler.dense.bias"].contains(bare)
    }
}
