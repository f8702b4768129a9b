extension Seq2Seq {
    /// A decoding context answering `question` (feed BOS first). `cached: false` recomputes the
    /// decoder over the whole answer at each step (the reference).
    public func makeDecodingContext(question: [Int32], cached: Bool) throws -> any DecodingContext {
        let memory = try Autograd.withNoGrad { try self.memory(question: question).memory }
        return Seq2SeqDecodingContext(model: self, memory: memory, cached: cached)
    }

    /// Answers `question`: decodes from BOS until EOS or `options.maxNewTokens` tokens, at most
    /// max_target_length − 1 (the longest answer training allows: targets are answer + EOS); the
    /// EOS, when reached, is the last token of the result.
    /// `onToken` streams the tokens as in `generate(context:prompt:options:onToken:)`.
    public func answer(question: [Int32], options: GenerationOptions,
                       onToken: ((Int32) throws -> Bool)? = nil) throws -> GenerationResult {
        var options = options
        options.maxNewTokens = min(options.maxNewTokens, config.maxTargetLength - 1)
        return try generate(context: makeDecodingContext(question: question, cached: options.useCache),
                            prompt: [CharTokenizer.bos], options: options, onToken: onToken)
    }
}

/// Seq2seq answer decoding over a fixed encoder memory, with a KV cache for the decoder's
/// self-attention (or, uncached, the whole answer recomputed at each step).
final class Seq2SeqDecodingContext: DecodingContext {
    private let model: Seq2Seq
    private let memory: CrossAttentionMemory
    private let cache: KVCache?
    private var tokens: [Int32] = []
    var recordsAttention = false
    private(set) var lastAttention: [AttentionMap] = []

    init(model: Seq2Seq, memory: CrossAttentionMemory, cached: Bool) {
        self.model = model
        self.memory = memory
        cache = cached ? KVCache(layers: model.config.nDecoderLayer, capacity: model.config.maxTargetLength) : nil
    }

    var length: Int { tokens.count }

    func append(_ newTokens: [Int32]) throws -> [Float] {
        guard !newTokens.isEmpty else { throw AttentionError.invalid("decoding: append needs at least one token") }
        let feed = cache == nil ? tokens + newTokens : newTokens
        let result = try Autograd.withNoGrad {
            try model.decode(feed, memory: memory, cache: cache, returnWeights: recordsAttention)
        }
        tokens += newTokens
        lastAttention = try result.selfWeights.enumerated().map {
            try AttentionMap(kind: .selfAttention, layer: $0.offset, batchWeights: $0.element)
        } + result.crossWeights.enumerated().map {
            try AttentionMap(kind: .crossAttention, layer: $0.offset, batchWeights: $0.element)
        }
        let vocab = model.config.vocabularySize
        return Array(result.logits.scalars[(feed.count - 1) * vocab..<feed.count * vocab])
    }
}
