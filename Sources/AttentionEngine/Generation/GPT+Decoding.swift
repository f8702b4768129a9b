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
        cache = KVCache(layers: model.config.nLayer, capacity: model.config.contextLength)
    }

    var length: Int { tokens.count }

    func append(_ newTokens: [Int32]) throws -> [Float] {
        guard !newTokens.isEmpty else { throw AttentionError.invalid("decoding: append needs at least one token") }
        let contextLength = model.config.contextLength
        var feed = newTokens
        if cache.length + newTokens.count > contextLength {
            cache.reset()
            feed = Array((tokens + newTokens).suffix(min(contextLength, max(contextLength / 2, newTokens.count))))
        }
        let (logits, weights) = try Autograd.withNoGrad {
            try model.decode(feed, cache: cache, returnWeights: recordsAttention)
        }
        tokens += newTokens
        lastAttention = try weights.enumerated().map {
            try AttentionMap(kind: .selfAttention, layer: $0.offset, batchWeights: $0.element)
        }
        let vocab = model.config.vocabularySize
        return Array(logits.scalars[(feed.count - 1) * vocab..<feed.count * vocab])
    }
}

extension GPT: IncrementalDecoding {
    func makeIncrementalDecodingContext() -> any DecodingContext { GPTDecodingContext(model: self) }
}
