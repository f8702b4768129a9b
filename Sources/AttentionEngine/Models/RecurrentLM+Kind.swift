/// The GRU / LSTM language model as a model kind ("rnn", ATTN_MODEL_RNN).
public struct RecurrentLMKind: ModelKind {
    public init() {}
    public var name: String { "rnn" }
    public var abiIdentifier: Int32 { 3 }
    public var capabilities: ModelCapabilities { [.training, .languageModel] }
    /// One GRU layer of 256 over 128-wide embeddings: a second layer doubles the sequential work
    /// per step, so one layer learns more per second on the CPU.
    public var defaultConfig: [String: String] {
        ["cell": "gru", "n_layer": "1", "n_embd": "128", "hidden_size": "256", "block_size": "64"]
    }

    func parse(_ config: [String: String]) throws -> RecurrentLMConfig {
        let reader = try ConfigReader(kind: name, config: config,
                                      known: ["cell", "n_layer", "n_embd", "hidden_size", "block_size", "vocab_size"])
        let sizes = try ["n_layer", "n_embd", "hidden_size", "block_size", "vocab_size"].map(reader.integer)
        guard let cell = config["cell"].flatMap(RecurrentLMConfig.Cell.init(rawValue:)) else {
            throw AttentionError(.format, "bad config for model 'rnn': 'cell' \(config["cell"] ?? "(missing)") is not gru or lstm")
        }
        let parsed = RecurrentLMConfig(cell: cell, nLayer: sizes[0], nEmbd: sizes[1], hiddenSize: sizes[2],
                                       contextLength: sizes[3], vocabularySize: sizes[4])
        try parsed.validate()
        return parsed
    }

    /// wte (V,E); per layer G gates (3 GRU, 4 LSTM): weight_ih (GH,I), weight_hh (GH,H) and two
    /// biases (GH), I = E for the first layer and H after; lm_head (V,H) + V.
    public func parameterCount(config: [String: String]) throws -> Int {
        let r = try parse(config)
        let (E, H, V, N) = (Double(r.nEmbd), Double(r.hiddenSize), Double(r.vocabularySize), Double(r.nLayer))
        let G: Double = r.cell == .gru ? 3 : 4
        let layers = G * H * (E + H + 2) + (N - 1) * G * H * (2 * H + 2)
        return try exactParameterCount(V * E + layers + V * H + V, kind: name)
    }

    public func makeModel(config: [String: String], seed: UInt64) throws -> any Module {
        try RecurrentLM(config: parse(config), seed: seed)
    }

    public func config(of model: any Module) -> [String: String]? {
        (model as? RecurrentLM).map { $0.config.dictionary }
    }
}
