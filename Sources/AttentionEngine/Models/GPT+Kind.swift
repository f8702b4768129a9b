/// The GPT as a model kind ("gpt", `attn_model_kind` ATTN_MODEL_GPT).
public struct GPTKind: ModelKind {
    public init() {}
    public var name: String { "gpt" }
    public var abiIdentifier: Int32 { 1 }
    public var capabilities: ModelCapabilities { [.training, .languageModel] }
    /// 4 layers of 4 heads over 128 channels, a 64-token context: learns something visible in a
    /// few minutes on two cores. Dropout 0.2: the built-in corpus is small enough to be
    /// memorised within a few hundred steps, and 0.2 keeps the validation loss lower for longer.
    public var defaultConfig: [String: String] {
        ["n_layer": "4", "n_head": "4", "n_embd": "128", "block_size": "64", "dropout": "0.2"]
    }

    /// The config of a dictionary; nanoGPT's `bias: true` is accepted (its `False` drops the
    /// biases, which the engine's GPT has), a missing dropout is 0.
    func parse(_ config: [String: String]) throws -> GPTConfig {
        let reader = try ConfigReader(kind: name, config: config,
                                      known: ["n_layer", "n_head", "n_embd", "block_size", "vocab_size", "dropout", "bias"])
        if let bias = config["bias"], bias != "true" {
            throw AttentionError(.format, "config bias = \(bias) is not supported (the GPT has biases)")
        }
        let parsed = GPTConfig(nLayer: try reader.integer("n_layer"), nHead: try reader.integer("n_head"),
                               nEmbd: try reader.integer("n_embd"), contextLength: try reader.integer("block_size"),
                               vocabularySize: try reader.integer("vocab_size"), dropout: try reader.number("dropout", absent: 0))
        try parsed.validate()
        return parsed
    }

    /// wte (V,C) + wpe (L,C) + per block ln_1, c_attn (3C,C)+3C, c_proj (C,C)+C, ln_2,
    /// c_fc (4C,C)+4C, c_proj (C,4C)+C = 12C² + 13C, + ln_f 2C.
    public func parameterCount(config: [String: String]) throws -> Int {
        let g = try parse(config)
        let (C, V, L, N) = (Double(g.nEmbd), Double(g.vocabularySize), Double(g.contextLength), Double(g.nLayer))
        return try exactParameterCount((V + L) * C + N * (12 * C * C + 13 * C) + 2 * C, kind: name)
    }

    public func makeModel(config: [String: String], seed: UInt64) throws -> any Module {
        try GPT(config: parse(config), seed: seed)
    }

    public func config(of model: any Module) -> [String: String]? {
        (model as? GPT).map { $0.config.dictionary }
    }

    /// nanoGPT writes `lm_head.weight`, tied to the token table.
    public var tiedTensors: [(alias: String, source: String)] { [("lm_head.weight", "transformer.wte.weight")] }

    /// nanoGPT's causal-mask buffers: transformer.h.{i}.attn.bias / .attn.masked_bias.
    public func isIgnoredTensor(_ name: String) -> Bool {
        for suffix in [".attn.bias", ".attn.masked_bias"] where name.hasPrefix("transformer.h.") && name.hasSuffix(suffix) {
            let layer = name.dropFirst("transformer.h.".count).dropLast(suffix.count)
            if !layer.isEmpty, layer.allSatisfy(\.isASCII), layer.allSatisfy(\.isNumber) { return true }
        }
        return false
    }
}
