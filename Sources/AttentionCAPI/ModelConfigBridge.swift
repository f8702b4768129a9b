import AttentionEngine
import CAttention

// attn_model_config ↔ the engine's model configurations, and the default configs.

/// The C name of a model family, for messages.
func kindName(_ kind: attn_model_kind) -> String {
    switch kind {
    case ATTN_MODEL_GPT: return "gpt"
    case ATTN_MODEL_SEQ2SEQ: return "seq2seq"
    case ATTN_MODEL_RNN: return "rnn"
    case ATTN_MODEL_CNN: return "cnn"
    default: return "unknown kind \(kind.rawValue)"
    }
}

/// The default small model of each kind (see attn_model_config_default), struct_size unset.
func defaultModelConfig(_ kind: attn_model_kind, _ function: String) throws -> attn_model_config {
    var c = attn_model_config()
    c.kind = kind
    c.n_embd = 128
    switch kind {
    case ATTN_MODEL_GPT:
        (c.n_layer, c.n_head, c.block_size, c.dropout) = (4, 4, 64, 0.1)
    case ATTN_MODEL_SEQ2SEQ:
        (c.n_layer, c.n_decoder_layer, c.n_head, c.max_source_length, c.max_target_length, c.dropout) = (2, 2, 4, 32, 32, 0.1)
    case ATTN_MODEL_RNN:
        (c.n_layer, c.hidden_size, c.block_size, c.cell) = (2, 256, 64, ATTN_CELL_GRU)
    case ATTN_MODEL_CNN:
        (c.n_layer, c.kernel_size, c.block_size) = (6, 3, 64)
    default:
        throw AttentionError.invalid("\(function): \(kindName(kind)); expected ATTN_MODEL_GPT, _SEQ2SEQ, _RNN or _CNN")
    }
    return c
}

/// A model freshly initialized from `c` with `vocabularySize` ids. Every size is range-checked
/// here (so that Int conversions cannot trap and nothing absurd is allocated) before the
/// engine's own validation of the config.
func makeModel(_ c: attn_model_config, vocabularySize: Int, _ function: String) throws -> any Module {
    func size(_ name: String, _ value: Int64, limit: Int64 = 1 << 24) throws -> Int {
        guard value >= 1, value <= limit else {
            throw AttentionError.invalid("\(function): \(name) = \(value) must be in 1...\(limit) for a \(kindName(c.kind)) model")
        }
        return Int(value)
    }
    let V = Double(vocabularySize), seed = c.seed
    switch c.kind {
    case ATTN_MODEL_GPT:
        let config = GPTConfig(nLayer: try size("n_layer", c.n_layer, limit: 1024), nHead: try size("n_head", c.n_head),
                               nEmbd: try size("n_embd", c.n_embd), blockSize: try size("block_size", c.block_size),
                               vocabSize: vocabularySize, dropout: c.dropout)
        try config.validate()
        let C = Double(config.nEmbd)
        try requireMemory(floats: V * C + Double(config.blockSize) * C + Double(config.nLayer) * 12 * C * C,
                          "the model's weights", function)
        return try GPT(config: config, seed: seed)
    case ATTN_MODEL_SEQ2SEQ:
        let config = Seq2SeqConfig(nEncoderLayer: try size("n_layer", c.n_layer, limit: 1024),
                                   nDecoderLayer: try size("n_decoder_layer", c.n_decoder_layer, limit: 1024),
                                   nHead: try size("n_head", c.n_head), nEmbd: try size("n_embd", c.n_embd),
                                   maxSourceLength: try size("max_source_length", c.max_source_length),
                                   maxTargetLength: try size("max_target_length", c.max_target_length),
                                   vocabSize: vocabularySize, dropout: c.dropout)
        try config.validate()
        let C = Double(config.nEmbd)
        try requireMemory(floats: V * C + Double(config.maxSourceLength + config.maxTargetLength) * C
                              + Double(config.nEncoderLayer + config.nDecoderLayer) * 16 * C * C,
                          "the model's weights", function)
        return try Seq2Seq(config: config, seed: seed)
    case ATTN_MODEL_RNN:
        let cell: RecurrentLMConfig.Cell
        switch c.cell {
        case ATTN_CELL_GRU: cell = .gru
        case ATTN_CELL_LSTM: cell = .lstm
        default: throw AttentionError.invalid("\(function): cell \(c.cell.rawValue) is neither ATTN_CELL_GRU nor ATTN_CELL_LSTM")
        }
        let config = RecurrentLMConfig(cell: cell, nLayer: try size("n_layer", c.n_layer, limit: 1024),
                                       nEmbd: try size("n_embd", c.n_embd), hiddenSize: try size("hidden_size", c.hidden_size),
                                       blockSize: try size("block_size", c.block_size), vocabSize: vocabularySize)
        try config.validate()
        let width = Double(max(config.nEmbd, config.hiddenSize))
        try requireMemory(floats: V * Double(config.nEmbd) + V * Double(config.hiddenSize)
                              + Double(config.nLayer) * 8 * width * width, "the model's weights", function)
        return try RecurrentLM(config: config, seed: seed)
    case ATTN_MODEL_CNN:
        let config = ConvolutionalLMConfig(nLayer: try size("n_layer", c.n_layer, limit: 16), nEmbd: try size("n_embd", c.n_embd),
                                           kernelSize: try size("kernel_size", c.kernel_size, limit: 1024),
                                           blockSize: try size("block_size", c.block_size), vocabSize: vocabularySize)
        try config.validate()
        let C = Double(config.nEmbd)
        try requireMemory(floats: V * C + Double(config.nLayer) * Double(config.kernelSize) * C * C,
                          "the model's weights", function)
        return try ConvolutionalLM(config: config, seed: seed)
    default:
        throw AttentionError.invalid("\(function): \(kindName(c.kind)); expected ATTN_MODEL_GPT, _SEQ2SEQ, _RNN or _CNN")
    }
}

/// The architecture of `model` as an attn_model_config (struct_size unset, seed 0).
func modelConfig(of model: any Module) throws -> attn_model_config {
    var c = attn_model_config()
    switch model {
    case let gpt as GPT:
        let g = gpt.config
        c.kind = ATTN_MODEL_GPT
        (c.n_layer, c.n_head, c.n_embd, c.block_size, c.vocab_size, c.dropout) =
            (Int64(g.nLayer), Int64(g.nHead), Int64(g.nEmbd), Int64(g.blockSize), Int64(g.vocabSize), g.dropout)
    case let seq2seq as Seq2Seq:
        let s = seq2seq.config
        c.kind = ATTN_MODEL_SEQ2SEQ
        (c.n_layer, c.n_decoder_layer, c.n_head, c.n_embd) =
            (Int64(s.nEncoderLayer), Int64(s.nDecoderLayer), Int64(s.nHead), Int64(s.nEmbd))
        (c.max_source_length, c.max_target_length, c.vocab_size, c.dropout) =
            (Int64(s.maxSourceLength), Int64(s.maxTargetLength), Int64(s.vocabSize), s.dropout)
    case let rnn as RecurrentLM:
        let r = rnn.config
        c.kind = ATTN_MODEL_RNN
        c.cell = r.cell == .gru ? ATTN_CELL_GRU : ATTN_CELL_LSTM
        (c.n_layer, c.n_embd, c.hidden_size, c.block_size, c.vocab_size) =
            (Int64(r.nLayer), Int64(r.nEmbd), Int64(r.hiddenSize), Int64(r.blockSize), Int64(r.vocabSize))
    case let cnn as ConvolutionalLM:
        let k = cnn.config
        c.kind = ATTN_MODEL_CNN
        (c.n_layer, c.n_embd, c.kernel_size, c.block_size, c.vocab_size) =
            (Int64(k.nLayer), Int64(k.nEmbd), Int64(k.kernelSize), Int64(k.blockSize), Int64(k.vocabSize))
    default:
        throw AttentionError(.internal, "attn_model_get_config: unsupported model type \(type(of: model))")
    }
    return c
}
