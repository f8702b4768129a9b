/// The causal convolutional language model as a model kind ("cnn", ATTN_MODEL_CNN).
public struct ConvolutionalLMKind: ModelKind {
    public init() {}
    public var name: String { "cnn" }
    public var abiIdentifier: Int32 { 4 }
    public var capabilities: ModelCapabilities { [.training, .languageModel] }
    /// 5 layers of kernel 3 see 1 + 2·(2⁵ − 1) = 63 tokens, all of a 64-token window; a 6th
    /// layer (dilation 32) would mostly see the padding before the window.
    public var defaultConfig: [String: String] {
        ["n_layer": "5", "n_embd": "128", "kernel_size": "3", "block_size": "64"]
    }

    func parse(_ config: [String: String]) throws -> ConvolutionalLMConfig {
        let reader = try ConfigReader(kind: name, config: config,
                                      known: ["n_layer", "n_embd", "kernel_size", "block_size", "vocab_size"])
        let parsed = ConvolutionalLMConfig(nLayer: try reader.integer("n_layer"), nEmbd: try reader.integer("n_embd"),
                                           kernelSize: try reader.integer("kernel_size"),
                                           contextLength: try reader.integer("block_size"), vocabularySize: try reader.integer("vocab_size"))
        try parsed.validate()
        return parsed
    }

    /// wte (V,C); per layer ln (2C) and conv weight (C,C,K) + bias C; ln_f 2C (head tied to wte).
    public func parameterCount(config: [String: String]) throws -> Int {
        let c = try parse(config)
        let (C, K, V, N) = (Double(c.nEmbd), Double(c.kernelSize), Double(c.vocabularySize), Double(c.nLayer))
        return try exactParameterCount(V * C + N * (C * C * K + 3 * C) + 2 * C, kind: name)
    }

    public func makeModel(config: [String: String], seed: UInt64) throws -> any Module {
        try ConvolutionalLM(config: parse(config), seed: seed)
    }

    public func config(of model: any Module) -> [String: String]? {
        (model as? ConvolutionalLM).map { $0.config.dictionary }
    }
}
