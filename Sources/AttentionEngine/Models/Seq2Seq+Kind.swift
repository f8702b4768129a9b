/// The encoder–decoder transformer as a model kind ("seq2seq", ATTN_MODEL_SEQ2SEQ).
public struct Seq2SeqKind: ModelKind {
    public init() {}
    public var name: String { "seq2seq" }
    public var abiIdentifier: Int32 { 2 }
    public var capabilities: ModelCapabilities { [.training, .answering] }
    /// Two encoder and two decoder layers of 4 heads over 64 channels: learns the built-in
    /// dialogue pairs (a few hundred short answers) in a few hundred steps; without dropout,
    /// since the point there is to reproduce the answers. The CLI fits the lengths to its pairs.
    public var defaultConfig: [String: String] {
        ["n_encoder_layer": "2", "n_decoder_layer": "2", "n_head": "4", "n_embd": "64",
         "max_source_length": "32", "max_target_length": "32", "dropout": "0"]
    }

    func parse(_ config: [String: String]) throws -> Seq2SeqConfig {
        let reader = try ConfigReader(kind: name, config: config,
                                      known: ["n_encoder_layer", "n_decoder_layer", "n_head", "n_embd", "max_source_length",
                                              "max_target_length", "vocab_size", "dropout"])
        let parsed = Seq2SeqConfig(nEncoderLayer: try reader.integer("n_encoder_layer"),
                                   nDecoderLayer: try reader.integer("n_decoder_layer"), nHead: try reader.integer("n_head"),
                                   nEmbd: try reader.integer("n_embd"), maxSourceLength: try reader.integer("max_source_length"),
                                   maxTargetLength: try reader.integer("max_target_length"),
                                   vocabularySize: try reader.integer("vocab_size"), dropout: try reader.number("dropout", absent: 0))
        try parsed.validate()
        return parsed
    }

    /// wte (V,C), encoder wpe (Ls,C) + blocks of 12C² + 13C + ln_f, decoder wpe (Lt,C) + blocks
    /// of 12C² + 13C plus cross-attention (ln_2, q_proj, kv_proj, c_proj: 4C² + 6C) + ln_f.
    public func parameterCount(config: [String: String]) throws -> Int {
        let s = try parse(config)
        let C = Double(s.nEmbd)
        let block = 12 * C * C + 13 * C, cross = 4 * C * C + 6 * C
        let count = Double(s.vocabularySize + s.maxSourceLength + s.maxTargetLength) * C
            + Double(s.nEncoderLayer) * block + Double(s.nDecoderLayer) * (block + cross) + 4 * C
        return try exactParameterCount(count, kind: name)
    }

    public func makeModel(config: [String: String], seed: UInt64) throws -> any Module {
        try Seq2Seq(config: parse(config), seed: seed)
    }

    public func config(of model: any Module) -> [String: String]? {
        (model as? Seq2Seq).map { $0.config.dictionary }
    }
}
