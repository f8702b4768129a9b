/// nanoGPT's configuration: n_layer pre-LN blocks of n_head heads over n_embd channels, a context
/// of block_size tokens, vocab_size token ids, and the dropout probability (applied to the
/// embeddings' sum in training).
public struct GPTConfig: Equatable, Sendable {
    public var nLayer: Int
    public var nHead: Int
    public var nEmbd: Int
    public var contextLength: Int
    public var vocabularySize: Int
    public var dropout: Float

    public init(nLayer: Int, nHead: Int, nEmbd: Int, contextLength: Int, vocabularySize: Int, dropout: Float = 0) {
        self.nLayer = nLayer
        self.nHead = nHead
        self.nEmbd = nEmbd
        self.contextLength = contextLength
        self.vocabularySize = vocabularySize
        self.dropout = dropout
    }

    /// Throws unless every size is positive, n_head divides n_embd and 0 ≤ dropout < 1.
    public func validate() throws {
        let sizes = [("n_layer", nLayer), ("n_head", nHead), ("n_embd", nEmbd), ("block_size", contextLength),
                     ("vocab_size", vocabularySize)]
        for (name, value) in sizes where value <= 0 {
            throw AttentionError.invalid("GPTConfig: \(name) = \(value) must be positive")
        }
        guard nEmbd % nHead == 0 else {
            throw AttentionError.invalid("GPTConfig: n_embd \(nEmbd) is not a multiple of n_head \(nHead)")
        }
        guard dropout >= 0, dropout < 1 else {
            throw AttentionError.invalid("GPTConfig: dropout \(dropout) must be in [0, 1)")
        }
    }

    /// nanoGPT's names and values as strings, plus "model": "gpt".
    public var dictionary: [String: String] {
        ["model": "gpt", "n_layer": "\(nLayer)", "n_head": "\(nHead)", "n_embd": "\(nEmbd)",
         "block_size": "\(contextLength)", "vocab_size": "\(vocabularySize)", "dropout": "\(dropout)"]
    }

    /// Reads `dictionary`'s format back (missing dropout means 0; "model" is ignored). Throws for
    /// a missing, unknown or malformed entry, or an invalid config.
    public init(dictionary: [String: String]) throws {
        var dictionary = dictionary
        dictionary["model"] = nil
        self = try GPTKind().parse(dictionary)
    }
}

/// The `transformer` module of nanoGPT: token table `wte` (V,C), position table `wpe`
/// (block_size,C), blocks `h.{i}`, final norm `ln_f`.
public final class GPTTransformer: Module {
    public let wte: Embedding
    public let wpe: LearnedPositionEncoding
    let drop: Dropout
    public let h: ModuleList<TransformerBlock>
    public let lnF: LayerNorm
    public var children: [(name: String, module: any Module)] {
        [("wte", wte), ("wpe", wpe), ("drop", drop), ("h", h), ("ln_f", lnF)]
    }

    init(_ config: GPTConfig, seed: UInt64, rng: inout Random) throws {
        wte = try Embedding(vocabularySize: config.vocabularySize, channels: config.nEmbd, rng: &rng)
        wpe = try LearnedPositionEncoding(maxLength: config.contextLength, channels: config.nEmbd, rng: &rng)
        drop = try Dropout(probability: config.dropout, seed: seed &+ 1)
        h = ModuleList(try (0..<config.nLayer).map { _ in
            try TransformerBlock(channels: config.nEmbd, heads: config.nHead, causal: true, rng: &rng)
        })
        lnF = try LayerNorm(channels: config.nEmbd)
    }
}

/// A decoder-only transformer language model (GPT-2 / nanoGPT): token + learned position
/// embeddings, n_layer pre-LN causal blocks, a final LayerNorm and an LM head tied to the token
/// embedding (logits = x · wteᵀ, so `lm_head.weight` is `transformer.wte.weight`).
///
/// Parameter names follow nanoGPT: `transformer.wte.weight`, `transformer.wpe.weight`,
/// `transformer.h.{i}.ln_1.{weight,bias}`, `.attn.c_attn.{weight,bias}` (3C,C), `.attn.c_proj`,
/// `.ln_2`, `.mlp.c_fc`, `.mlp.c_proj`, `transformer.ln_f`.
///
///     let gpt = try GPT(config: GPTConfig(nLayer: 4, nHead: 4, nEmbd: 128, contextLength: 64,
///                                         vocabularySize: tokenizer.vocabularySize), seed: 7)
///     let logits = try gpt.logits(tokens: ids, batch: 1, time: ids.count)   // (1,T,V)
public final class GPT: LanguageModel, TiedOutputHead {
    public let config: GPTConfig
    public let transformer: GPTTransformer
    public var children: [(name: String, module: any Module)] { [("transformer", transformer)] }

    /// Validates `config` and initializes as GPT-2: weights N(0, 0.02²), the residual
    /// projections (`c_proj`) N(0, (0.02/√(2·n_layer))²), biases 0, LayerNorms (1, 0); all drawn
    /// from `Random(seed:)`, so the same seed gives the same model.
    public init(config: GPTConfig, seed: UInt64) throws {
        try config.validate()
        self.config = config
        var rng = Random(seed: seed)
        transformer = try GPTTransformer(config, seed: seed, rng: &rng)
        let projectionStd = 0.02 / Float(2 * config.nLayer).squareRoot()
        for (name, parameter) in namedParameters where !name.contains(".ln_") {
            if name.hasSuffix(".bias") {
                try parameter.assign(Tensor.zeros(parameter.shape))
            } else if name.hasPrefix("transformer.h.") {
                let std: Float = name.hasSuffix("c_proj.weight") ? projectionStd : 0.02
                try parameter.assign(Tensor.normal(parameter.shape, std: std, using: &rng))
            }
        }
    }

    public var tokenTable: Embedding { transformer.wte }
    public var vocabularySize: Int { config.vocabularySize }
    public var contextLength: Int { config.contextLength }
    public var configDictionary: [String: String] { config.dictionary }

    /// tokens (B,T), T ≤ block_size → logits (B,T,V).
    public func logits(tokens: [Int32], batch: Int, time: Int) throws -> Tensor {
        try transformer.wte.project(features(tokens: tokens, batch: batch, time: time))
    }

    /// Mean cross-entropy of the next-token predictions, with the tied head fused into the loss
    /// (`tiedHeadLoss`): the (B,T,V) logits are never materialized.
    public func loss(tokens: [Int32], targets: [Int32], batch: Int, time: Int) throws -> Tensor {
        try tiedHeadLoss(features(tokens: tokens, batch: batch, time: time), targets: targets)
    }

    /// tokens (B,T), T ≤ block_size → the head's input ln_f(blocks(embeddings)) (B,T,C).
    func features(tokens: [Int32], batch: Int, time: Int) throws -> Tensor {
        try checkTokens(tokens, batch: batch, time: time, model: "GPT")
        var x = try embed(tokens, batch: batch, time: time, start: 0)
        x = try transformer.drop(x)
        for block in transformer.h.modules { x = try block(x) }
        return try transformer.lnF(x)
    }

    /// wte[tokens] + wpe[start..<start+T]: (B,T,C).
    func embed(_ tokens: [Int32], batch: Int, time: Int, start: Int) throws -> Tensor {
        let positions = try transformer.wpe.weight.value.narrowed(0, start: start, length: time)
        return try transformer.wte(tokens, shape: [batch, time]) + positions
    }

    /// ln_f, then the tied LM head: (B,T,C) → (B,T,V).
    func head(_ x: Tensor) throws -> Tensor {
        try transformer.wte.project(transformer.lnF(x))
    }

    /// Logits (B,T,V) of the T new tokens after the `cache.length` cached ones (no dropout),
    /// appending their keys and values; without a cache, the uncached forward from position 0.
    /// With `returnWeights`, also each layer's attention probabilities (1,NH,T,L+T).
    func decode(_ tokens: [Int32], cache: KVCache?, returnWeights: Bool) throws -> (logits: Tensor, weights: [Tensor]) {
        let start = cache?.length ?? 0
        guard start + tokens.count <= config.contextLength else {
            throw AttentionError.invalid("GPT: \(start + tokens.count) tokens exceed block_size \(config.contextLength)")
        }
        try checkTokens(tokens, batch: 1, time: tokens.count, model: "GPT")
        var x = try embed(tokens, batch: 1, time: tokens.count, start: start)
        var weights: [Tensor] = []
        for (layer, block) in transformer.h.modules.enumerated() {
            let result = try block.forward(x, cache: cache, layer: layer, returnWeights: returnWeights)
            x = result.output
            if let w = result.selfWeights { weights.append(w) }
        }
        return (try head(x), weights)
    }

}
