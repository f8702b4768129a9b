/// The keys and values of a transformer's attention layers for one sequence being generated,
/// so each new token costs one row of work per layer instead of a pass over the whole prefix.
///
/// Per self-attention layer: k, v (B,NH,L,HS) for the L tokens fed so far, grown by every step
/// (the seq2seq decoder's cross-attention keys and values do not grow: `CrossAttentionMemory`).
/// A cache belongs to one decoding context; the model it is used with is only read, so several
/// threads can generate from one model, each with its own context.
final class KVCache {
    private(set) var keys: [Tensor?]
    private(set) var values: [Tensor?]
    /// Tokens cached so far (L).
    private(set) var length = 0

    init(layers: Int) {
        keys = Array(repeating: nil, count: layers)
        values = Array(repeating: nil, count: layers)
    }

    /// Appends k, v (B,NH,Tn,HS) of layer `layer` and returns all cached ones (B,NH,L+Tn,HS).
    func append(layer: Int, keys newKeys: Tensor, values newValues: Tensor) throws -> (keys: Tensor, values: Tensor) {
        let k = try keys[layer].map { try Tensor.concatenated([$0, newKeys], along: 2) } ?? newKeys
        let v = try values[layer].map { try Tensor.concatenated([$0, newValues], along: 2) } ?? newValues
        keys[layer] = k
        values[layer] = v
        if layer == keys.count - 1 { length = k.shape[2] }
        return (k, v)
    }
}

/// The encoder output as each decoder layer's cross-attention sees it: k, v (B,NH,Ts,HS) per
/// layer and the source padding mask (B·Ts, true = padding).
struct CrossAttentionMemory {
    let keys: [Tensor]
    let values: [Tensor]
    let paddingMask: [Bool]?
}
