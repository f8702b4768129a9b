/// The keys and values of a transformer's attention layers for one sequence being generated,
/// so each new token costs one row of work per layer instead of a pass over the whole prefix.
///
/// Per self-attention layer: k, v (B,NH,capacity,HS) preallocated at the first step, of which
/// rows 0..<L hold the L tokens fed so far; a step writes its rows in place (O(Tn·C) per layer,
/// where growing by concatenation copied all L cached rows) and the attention reads the first
/// rows through the kernels' `keyCapacity`. The seq2seq decoder's cross-attention keys and
/// values do not grow: `CrossAttentionMemory`.
/// A cache belongs to one decoding context; the model it is used with is only read, so several
/// threads can generate from one model, each with its own context.
final class KVCache {
    /// Rows each layer can hold: block_size for the GPT, max_target_length for the decoder.
    let capacity: Int
    /// Per layer: k and v (B,NH,capacity,HS), nil until the layer's first step (tensor
    /// storages, so `MemoryStatistics` counts them and freed caches return to the pool).
    private var keys: [TensorStorage?]
    private var values: [TensorStorage?]
    /// (B, NH, HS) of the cached rows, set by the first step.
    private var dimensions: (batch: Int, heads: Int, headSize: Int)?
    /// Tokens cached so far (L).
    private(set) var length = 0

    init(layers: Int, capacity: Int) {
        self.capacity = capacity
        keys = Array(repeating: nil, count: layers)
        values = Array(repeating: nil, count: layers)
    }

    /// Forgets the cached tokens (L = 0) and keeps the buffers, for a context that rebuilds its
    /// cache.
    func reset() {
        length = 0
    }

    /// Attention of layer `layer`'s queries q (B,NH,Tn,HS) over the cached keys and values
    /// followed by k, v (B,NH,Tn,HS), which are written into the cache (rows L..<L+Tn); the
    /// step's last layer advances L. Returns (B,NH,Tn,HS) and, with `returnWeights`, the
    /// probabilities (B,NH,Tn,L+Tn). `causal` as in `Tensor.attention`, aligned to the end of
    /// the keys. No gradient flows (decoding runs without autograd).
    func attend(layer: Int, query q: Tensor, keys k: Tensor, values v: Tensor, causal: Bool,
                returnWeights: Bool) throws -> (output: Tensor, weights: Tensor?) {
        guard q.rank == 4, k.rank == 4, k.shape == v.shape, q.shape == k.shape else {
            throw AttentionError.shape(
                "KVCache: q \(q.shape), k \(k.shape), v \(v.shape) (need q, k, v (B,NH,Tn,HS))")
        }
        let (batch, heads, time, headSize) = (k.shape[0], k.shape[1], k.shape[2], k.shape[3])
        if let dimensions, dimensions != (batch, heads, headSize) {
            throw AttentionError.shape(
                "KVCache: k \(k.shape) does not match the cached (B,NH,HS) = \(dimensions)")
        }
        guard (0..<keys.count).contains(layer), time <= capacity - length else {
            throw AttentionError.invalid(
                "KVCache: \(length) + \(time) tokens exceed the capacity \(capacity) (layer \(layer))")
        }
        let shape = AttentionShape(batch: batch, heads: heads, queryLength: time,
                                   keyLength: length + time, headSize: headSize, causal: causal)
        try shape.validate()
        dimensions = (batch, heads, headSize)
        // k, v (B,NH,capacity,HS): rows L..<L+Tn of every head ← the step's (Tn,HS) rows.
        let headRows = capacity * headSize
        let keyStorage = keys[layer] ?? TensorStorage(uninitializedCount: shape.headCount * headRows)
        let valueStorage = values[layer] ?? TensorStorage(uninitializedCount: shape.headCount * headRows)
        keys[layer] = keyStorage
        values[layer] = valueStorage
        let (cachedKeys, cachedValues) = (keyStorage.pointer, valueStorage.pointer)
        for head in 0..<shape.headCount {
            let source = head * time * headSize, target = head * headRows + length * headSize
            (cachedKeys + target).update(from: k.storage.pointer + source, count: time * headSize)
            (cachedValues + target).update(from: v.storage.pointer + source, count: time * headSize)
        }
        if layer == keys.count - 1 { length += time }

        let weights = returnWeights ? try Tensor.zeros([batch, heads, time, shape.keyLength]) : nil
        let output = Tensor.build(q.shape, count: q.count) { out in
            attentionForward(out: out, lse: nil, probs: weights?.storage.pointer, q: q.storage.pointer,
                             k: cachedKeys, v: cachedValues, keyPaddingMask: nil, shape: shape,
                             keyCapacity: capacity)
        }
        return (output, weights)
    }
}

/// The encoder output as each decoder layer's cross-attention sees it, computed once per
/// question: per layer, k, v (B,NH,Ts,HS) and the source padding mask (B·Ts, true = padding).
struct CrossAttentionMemory {
    struct Layer {
        let keys: Tensor
        let values: Tensor
        let paddingMask: [Bool]?
    }

    let layers: [Layer]
}
