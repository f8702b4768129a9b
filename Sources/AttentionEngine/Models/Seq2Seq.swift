/// Configuration of the encoder–decoder transformer: layers of each side, heads, width, the
/// longest question (source) and answer (target, including BOS/EOS) it takes, vocabulary size,
/// and the dropout probability on the embeddings in training.
public struct Seq2SeqConfig: Equatable, Sendable {
    public var nEncoderLayer: Int
    public var nDecoderLayer: Int
    public var nHead: Int
    public var nEmbd: Int
    public var maxSourceLength: Int
    public var maxTargetLength: Int
    public var vocabularySize: Int
    public var dropout: Float

    public init(nEncoderLayer: Int, nDecoderLayer: Int, nHead: Int, nEmbd: Int, maxSourceLength: Int,
                maxTargetLength: Int, vocabularySize: Int, dropout: Float = 0) {
        self.nEncoderLayer = nEncoderLayer
        self.nDecoderLayer = nDecoderLayer
        self.nHead = nHead
        self.nEmbd = nEmbd
        self.maxSourceLength = maxSourceLength
        self.maxTargetLength = maxTargetLength
        self.vocabularySize = vocabularySize
        self.dropout = dropout
    }

    /// Throws unless every size is positive, n_head divides n_embd and 0 ≤ dropout < 1.
    public func validate() throws {
        let sizes = [("n_encoder_layer", nEncoderLayer), ("n_decoder_layer", nDecoderLayer), ("n_head", nHead),
                     ("n_embd", nEmbd), ("max_source_length", maxSourceLength),
                     ("max_target_length", maxTargetLength), ("vocab_size", vocabularySize)]
        for (name, value) in sizes where value <= 0 {
            throw AttentionError.invalid("Seq2SeqConfig: \(name) = \(value) must be positive")
        }
        guard maxTargetLength >= 2 else {
            throw AttentionError.invalid("Seq2SeqConfig: max_target_length = \(maxTargetLength) must be at least 2 (one answer token and EOS)")
        }
        guard nEmbd % nHead == 0 else {
            throw AttentionError.invalid("Seq2SeqConfig: n_embd \(nEmbd) is not a multiple of n_head \(nHead)")
        }
        guard dropout >= 0, dropout < 1 else { throw AttentionError.invalid("Seq2SeqConfig: dropout \(dropout) must be in [0, 1)") }
    }

    /// The fields as strings, plus "model": "seq2seq".
    public var dictionary: [String: String] {
        ["model": "seq2seq", "n_encoder_layer": "\(nEncoderLayer)", "n_decoder_layer": "\(nDecoderLayer)",
         "n_head": "\(nHead)", "n_embd": "\(nEmbd)", "max_source_length": "\(maxSourceLength)",
         "max_target_length": "\(maxTargetLength)", "vocab_size": "\(vocabularySize)", "dropout": "\(dropout)"]
    }
}

/// One side of the seq2seq transformer: learned positions `wpe`, blocks `h.{i}`, final `ln_f`.
public final class TransformerStack: Module {
    public let wpe: LearnedPositionEncoding
    let drop: Dropout
    public let h: ModuleList<TransformerBlock>
    public let lnF: LayerNorm
    public var children: [(name: String, module: any Module)] { [("wpe", wpe), ("drop", drop), ("h", h), ("ln_f", lnF)] }

    init(layers: Int, heads: Int, channels: Int, maxLength: Int, decoder: Bool, dropout: Float, seed: UInt64,
         rng: inout Random) throws {
        wpe = try LearnedPositionEncoding(maxLength: maxLength, channels: channels, rng: &rng)
        drop = try Dropout(probability: dropout, seed: seed)
        h = ModuleList(try (0..<layers).map { _ in
            try TransformerBlock(channels: channels, heads: heads, causal: decoder, crossAttention: decoder, rng: &rng)
        })
        lnF = try LayerNorm(channels: channels)
    }
}

/// A transformer encoder–decoder that answers a question with a sentence ("你吃了吗？" → "吃了。").
///
/// The encoder reads the question with bidirectional self-attention; the decoder writes the
/// answer token by token with causal self-attention and cross-attention to the encoder output.
/// One token table `transformer.wte` (V,C) serves both sides and the tied output head.
/// Parameter names: `transformer.wte.weight`, `encoder.{wpe, h.{i}.…, ln_f}`,
/// `decoder.{wpe, h.{i}.{ln_1, attn, ln_2, cross_attn.{q_proj, kv_proj, c_proj}, ln_3, mlp}, ln_f}`.
///
///     let model = try Seq2Seq(config: config, seed: 1)
///     let answer = try model.answer(question: tokenizer.encode("你吃了吗？"),
///                                   options: GenerationOptions(maxNewTokens: 20))
///     print(try tokenizer.decode(answer.tokens))   // "吃了。" once trained
public final class Seq2Seq: TiedOutputHead {
    public let config: Seq2SeqConfig
    public let wte: Embedding
    public let encoder: TransformerStack
    public let decoder: TransformerStack
    public var children: [(name: String, module: any Module)] {
        [("transformer.wte", wte), ("encoder", encoder), ("decoder", decoder)]
    }
    public var tokenTable: Embedding { wte }

    /// Validates `config`; GPT-2 initialization (as `GPT`) from `Random(seed:)`.
    public init(config: Seq2SeqConfig, seed: UInt64) throws {
        try config.validate()
        self.config = config
        var rng = Random(seed: seed)
        wte = try Embedding(vocabularySize: config.vocabularySize, channels: config.nEmbd, rng: &rng)
        encoder = try TransformerStack(layers: config.nEncoderLayer, heads: config.nHead, channels: config.nEmbd,
                                       maxLength: config.maxSourceLength, decoder: false, dropout: config.dropout,
                                       seed: seed &+ 1, rng: &rng)
        decoder = try TransformerStack(layers: config.nDecoderLayer, heads: config.nHead, channels: config.nEmbd,
                                       maxLength: config.maxTargetLength, decoder: true, dropout: config.dropout,
                                       seed: seed &+ 2, rng: &rng)
        let projectionStd = 0.02 / Float(2 * (config.nEncoderLayer + config.nDecoderLayer)).squareRoot()
        for (name, parameter) in namedParameters where name.contains(".h.") && !name.contains(".ln_") {
            if name.hasSuffix(".bias") {
                try parameter.assign(Tensor.zeros(parameter.shape))
            } else {
                let std: Float = name.hasSuffix("c_proj.weight") ? projectionStd : 0.02
                try parameter.assign(Tensor.normal(parameter.shape, std: std, using: &rng))
            }
        }
    }

    private func check(_ tokens: [Int32], batch: Int, time: Int, limit: Int, what: String) throws {
        guard batch >= 0, time >= 0, time <= limit, tokens.count == batch * time else {
            throw AttentionError.shape("Seq2Seq: \(tokens.count) \(what) tokens for (B,T) = (\(batch),\(time)), T ≤ \(limit)")
        }
        if let bad = tokens.first(where: { $0 < 0 || Int($0) >= config.vocabularySize }) {
            throw AttentionError.invalid("Seq2Seq: token id \(bad) outside the vocabulary 0..<\(config.vocabularySize)")
        }
    }

    /// The encoder output: source (B,Ts), padding mask (B·Ts, true = PAD) → memory (B,Ts,C).
    public func encode(source: [Int32], batch: Int, time: Int, paddingMask: [Bool]?) throws -> Tensor {
        try encode(source: source, batch: batch, time: time, paddingMask: paddingMask, returnWeights: false).memory
    }

    /// The encoder output and, with `returnWeights`, each layer's self-attention probabilities
    /// (B,NH,Ts,Ts).
    private func encode(source: [Int32], batch: Int, time: Int, paddingMask: [Bool]?,
                        returnWeights: Bool) throws -> (memory: Tensor, weights: [Tensor]) {
        try check(source, batch: batch, time: time, limit: config.maxSourceLength, what: "source")
        var x = try encoder.drop(encoder.wpe(wte(source, shape: [batch, time])))
        var weights: [Tensor] = []
        for block in encoder.h.modules {
            let result = try block.forward(x, keyPaddingMask: paddingMask, returnWeights: returnWeights)
            x = result.output
            if let w = result.selfWeights { weights.append(w) }
        }
        return (try encoder.lnF(x), weights)
    }

    /// Teacher-forced decoder logits of a batch: (B,Tt,V).
    public func logits(_ batch: PairBatch) throws -> Tensor {
        try wte.project(decoderFeatures(batch))
    }

    /// The teacher-forced decoder output before the tied head: (B,Tt,C).
    private func decoderFeatures(_ batch: PairBatch) throws -> Tensor {
        let memory = try encode(source: batch.source, batch: batch.batch, time: batch.sourceLength,
                                paddingMask: batch.sourcePaddingMask)
        try check(batch.decoderInput, batch: batch.batch, time: batch.targetLength, limit: config.maxTargetLength,
                  what: "decoder input")
        var x = try decoder.drop(decoder.wpe(wte(batch.decoderInput, shape: [batch.batch, batch.targetLength])))
        for block in decoder.h.modules {
            x = try block(x, memory: memory, memoryPaddingMask: batch.sourcePaddingMask)
        }
        return try decoder.lnF(x)
    }

    /// Mean cross-entropy over the non-PAD targets of a batch, with the tied head fused into the
    /// loss (`tiedHeadLoss`).
    public func loss(_ batch: PairBatch) throws -> Tensor {
        try tiedHeadLoss(decoderFeatures(batch), targets: batch.targets, ignoreIndex: CharTokenizer.pad)
    }

    /// The encoder output of one question as every decoder layer's cross-attention keys/values.
    /// With `returnWeights`, also the encoder's self-attention probabilities per layer.
    func memory(question: [Int32], returnWeights: Bool = false) throws
        -> (memory: CrossAttentionMemory, encoderWeights: [Tensor]) {
        guard !question.isEmpty else { throw AttentionError.invalid("Seq2Seq: the question is empty") }
        let (memory, encoderWeights) = try encode(source: question, batch: 1, time: question.count, paddingMask: nil,
                                                  returnWeights: returnWeights)
        let layers = try decoder.h.modules.map { block in
            let (keys, values) = try block.crossAttention!.keysValues(memory)
            return CrossAttentionMemory.Layer(keys: keys, values: values, paddingMask: nil)
        }
        return (CrossAttentionMemory(layers: layers), encoderWeights)
    }

    /// Decoder logits (1,T,V) of `tokens` after the `cache.length` cached ones (no dropout);
    /// without a cache, from position 0. With `returnWeights`, each layer's self and cross
    /// probabilities.
    func decode(_ tokens: [Int32], memory: CrossAttentionMemory, cache: KVCache?, returnWeights: Bool) throws
        -> (logits: Tensor, selfWeights: [Tensor], crossWeights: [Tensor]) {
        let start = cache?.length ?? 0
        guard start + tokens.count <= config.maxTargetLength else {
            throw AttentionError.invalid("Seq2Seq: \(start + tokens.count) answer tokens exceed max_target_length \(config.maxTargetLength)")
        }
        try check(tokens, batch: 1, time: tokens.count, limit: config.maxTargetLength, what: "decoder")
        let positions = try decoder.wpe.weight.value.narrowed(0, start: start, length: tokens.count)
        var x = try wte(tokens, shape: [1, tokens.count]) + positions
        var selfWeights: [Tensor] = [], crossWeights: [Tensor] = []
        for (layer, block) in decoder.h.modules.enumerated() {
            let result = try block.forward(x, cache: cache, layer: layer, memory: memory.layers[layer],
                                           returnWeights: returnWeights)
            x = result.output
            if let w = result.selfWeights { selfWeights.append(w) }
            if let w = result.crossWeights { crossWeights.append(w) }
        }
        return (try wte.project(decoder.lnF(x)), selfWeights, crossWeights)
    }
}
