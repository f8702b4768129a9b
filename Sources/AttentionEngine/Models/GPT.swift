/// nanoGPT's configuration: n_layer pre-LN blocks of n_head heads over n_embd channels, a context
/// of block_size tokens, vocab_size token ids, and the dropout probability (applied to the
/// embeddings' sum in training).
public struct GPTConfig: Equatable, Sendable {
    public var nLayer: Int
    public var nHead: Int
    public var nEmbd: Int
    public var blockSize: Int
    public var vocabSize: Int
    public var dropout: Float

    public init(nLayer: Int, nHead: Int, nEmbd: Int, blockSize: Int, vocabSize: Int, dropout: Float = 0) {
        self.nLayer = nLayer
        self.nHead = nHead
        self.nEmbd = nEmbd
        self.blockSize = blockSize
        self.vocabSize = vocabSize
        self.dropout = dropout
    }

    /// Throws unless every size is positive, n_head divides n_embd and 0 ≤ dropout < 1.
    public func validate() throws {
        let sizes = [("n_layer", nLayer), ("n_head", nHead), ("n_embd", nEmbd), ("block_size", blockSize),
                     ("vocab_size", vocabSize)]
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
         "block_size": "\(blockSize)", "vocab_size": "\(vocabSize)", "dropout": "\(dropout)"]
    }

    /// Reads `dictionary`'s format back (missing dropout means 0). Throws for a missing or
    /// malformed entry, or an invalid config.
    public init(dictionary: [String: String]) throws {
        func integer(_ key: String) throws -> Int {
            guard let text = dictionary[key], let value = Int(text) else {
                throw AttentionError(.format, "GPTConfig: '\(key)' is missing or not an integer")
            }
            return value
        }
        guard let dropout = Float(dictionary["dropout"] ?? "0") else {
            throw AttentionError(.format, "GPTConfig: 'dropout' is not a number")
        }
        self.init(nLayer: try integer("n_layer"), nHead: try integer("n_head"), nEmbd: try integer("n_embd"),
                  blockSize: try integer("block_size"), vocabSize: try integer("vocab_size"), dropout: dropout)
        try validate()
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
        wte = try Embedding(vocabularySize: config.vocabSize, channels: config.nEmbd, rng: &rng)
        wpe = try LearnedPositionEncoding(maxLength: config.blockSize, channels: config.nEmbd, rng: &rng)
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
///     let gpt = try GPT(config: GPTConfig(nLayer: 4, nHead: 4, nEmbd: 128, blockSize: 64,
///                                         vocabSize: tokenizer.vocabularySize), seed: 7)
///     let logits = try gpt.logits(tokens: ids, batch: 1, time: ids.count)   // (1,T,V)
public final class GPT: LanguageModel {
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

    public var vocabularySize: Int { config.vocabSize }
    public var contextLength: Int { config.blockSize }
    public var configDictionary: [String: String] { config.dictionary }

    /// tokens (B,T), T ≤ block_size → logits (B,T,V).
    public func logits(tokens: [Int32], batch: Int, time: Int) throws -> Tensor {
        try checkTokens(tokens, batch: batch, time: time, model: "GPT")
        var x = try embed(tokens, batch: batch, time: time, start: 0)
        x = try transformer.drop(x)
        for block in transformer.h.modules { x = try block(x) }
        return try head(x)
    }

    /// wte[tokens] + wpe[start..<start+T]: (B,T,C).
    func embed(_ tokens: [Int32], batch: Int, time: Int, start: Int) throws -> Tensor {
        let positions = try transformer.wpe.weight.value.narrowed(0, start: start, length: time)
        return try transformer.wte(tokens, shape: [batch, time]) + positions
    }

    /// ln_f, then the tied LM head: (B,T,C) → (B,T,V).
    func head(_ x: Tensor) throws -> Tensor {
        try transformer.lnF(x).linear(weight: transformer.wte.weight.value)
    }

    /// Logits (B,T,V) of the T new tokens after the `cache.length` cached ones (no dropout),
    /// appending their keys and values; without a cache, the uncached forward from position 0.
    /// With `returnWeights`, also each layer's attention probabilities (1,NH,T,L+T).
    func decode(_ tokens: [Int32], cache: KVCache?, returnWeights: Bool) throws -> (logits: Tensor, weights: [Tensor]) {
        let start = cache?.length ?? 0
        guard start + tokens.count <= config.blockSize else {
            throw AttentionError.invalid("GPT: \(start + tokens.count) tokens exceed block_size \(config.blockSize)")
        }
        try checkTokens(tokens, batch: 1, time: tokens.count, model: "GPT")
        var x = try embed(tokens, batch: 1, time: tokens.count, start: start)
        var weights: [Tensor] = []
        for (layer, block) in transformer.h.modules.enumerated() {
            let result = try block.step(x, cache: cache, layer: layer, memory: nil, returnWeights: returnWeights)
            x = result.output
            if let w = result.selfWeights { weights.append(w) }
        }
        return (try head(x), weights)
    }

    public func makeDecodingContext(cached: Bool) throws -> any DecodingContext {
        cached ? GPTDecodingContext(model: self) : WindowDecodingContext(model: self)
    }
}

/// GPT generation with a KV cache. When the cache would exceed block_size tokens, it is rebuilt
/// from the last block_size/2 tokens (positions restart at 0; a prompt longer than block_size
/// keeps its last block_size tokens, as the uncached window does): an amortized O(1) fallback
/// that departs from the uncached sliding window only beyond block_size tokens.
final class GPTDecodingContext: DecodingContext {
    private let model: GPT
    private let cache: KVCache
    private var tokens: [Int32] = []
    var recordsAttention = false
    private(set) var lastAttention: [AttentionMap] = []

    init(model: GPT) {
        self.model = model
        cache = KVCache(layers: model.config.nLayer, capacity: model.config.blockSize)
    }

    var length: Int { tokens.count }

    func append(_ newTokens: [Int32]) throws -> [Float] {
        guard !newTokens.isEmpty else { throw AttentionError.invalid("decoding: append needs at least one token") }
        let blockSize = model.config.blockSize
        var feed = newTokens
        if cache.length + newTokens.count > blockSize {
            cache.reset()
            feed = Array((tokens + newTokens).suffix(min(blockSize, max(blockSize / 2, newTokens.count))))
        }
        let (logits, weights) = try Autograd.withNoGrad {
            try model.decode(feed, cache: cache, returnWeights: recordsAttention)
        }
        tokens += newTokens
        lastAttention = try weights.enumerated().map {
            try AttentionMap(kind: .selfAttention, layer: $0.offset, batchWeights: $0.element)
        }
        let vocab = model.config.vocabSize
        return Array(logits.scalars[(feed.count - 1) * vocab..<feed.count * vocab])
    }
}
