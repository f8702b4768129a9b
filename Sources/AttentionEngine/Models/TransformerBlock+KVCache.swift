// Attention and transformer blocks run step by step for generation and inspection: the same
// operations as `MultiHeadAttention.callAsFunction` and `TransformerBlock.callAsFunction`, plus a
// KV cache, precomputed cross-attention keys/values, and the attention probabilities.
//
// Letters: B batch, Tn new tokens, L cached tokens, Ts source tokens, C channels, NH heads,
// HS head size.

extension MultiHeadAttention {
    /// Concatenates the heads and applies `c_proj`: (B,NH,T,HS) → (B,T,C).
    private func mergeHeads(_ attended: Tensor) throws -> Tensor {
        try projection(attended.mergedHeads())
    }

    /// Self-attention of x (B,Tn,C) over the keys and values in `cache` (layer `layer`) followed
    /// by its own, which are written into the cache; without a cache, plain self-attention.
    /// Returns (B,Tn,C) and, with `returnWeights`, the probabilities (B,NH,Tn,L+Tn).
    func attend(_ x: Tensor, cache: KVCache?, layer: Int, returnWeights: Bool) throws -> (output: Tensor, weights: Tensor?) {
        guard case .selfAttention(let qkv) = inputs else {
            throw AttentionError.invalid("MultiHeadAttention: a cross-attention layer needs the encoder memory")
        }
        // (B,Tn,3C) → q, k, v (B,NH,Tn,HS)
        let all = try qkv(x)
        let (q, k, v) = (try all.splitHeads(heads, parts: 3, part: 0), try all.splitHeads(heads, parts: 3, part: 1),
                         try all.splitHeads(heads, parts: 3, part: 2))
        let (attended, weights) = try cache.map {
            try $0.attend(layer: layer, query: q, keys: k, values: v, causal: causal, returnWeights: returnWeights)
        } ?? Tensor.attention(query: q, key: k, value: v, causal: causal, returnWeights: returnWeights)
        return (try mergeHeads(attended), weights)
    }

    /// Keys and values of the encoder output for this cross-attention layer:
    /// memory (B,Ts,C) → k, v (B,NH,Ts,HS).
    func crossKeysValues(_ memory: Tensor) throws -> (keys: Tensor, values: Tensor) {
        guard case .cross(_, let keyValue) = inputs else {
            throw AttentionError.invalid("MultiHeadAttention: a self-attention layer has no cross keys")
        }
        let kv = try keyValue(memory)  // (B,Ts,2C)
        return (try kv.splitHeads(heads, parts: 2, part: 0), try kv.splitHeads(heads, parts: 2, part: 1))
    }

    /// Cross-attention of x (B,Tn,C) over precomputed encoder keys and values (B,NH,Ts,HS).
    /// Returns (B,Tn,C) and, with `returnWeights`, the probabilities (B,NH,Tn,Ts).
    func attendCross(_ x: Tensor, keys: Tensor, values: Tensor, paddingMask: [Bool]?,
                     returnWeights: Bool) throws -> (output: Tensor, weights: Tensor?) {
        guard case .cross(let query, _) = inputs else {
            throw AttentionError.invalid("MultiHeadAttention: a self-attention layer cannot attend to memory")
        }
        let q = try query(x).splitHeads(heads, parts: 1, part: 0)  // (B,Tn,C) → (B,NH,Tn,HS)
        let (attended, weights) = try Tensor.attention(query: q, key: keys, value: values, causal: false,
                                                       keyPaddingMask: paddingMask, returnWeights: returnWeights)
        return (try mergeHeads(attended), weights)
    }
}

extension TransformerBlock {
    /// The block's forward pass for decoding and inspection: x (B,Tn,C) → (B,Tn,C), its
    /// self-attention reading and extending `cache` (when given), its cross-attention (decoder
    /// blocks) reading `memory` layer `layer`. Same operations as `callAsFunction`, plus the
    /// attention probabilities with `returnWeights`.
    func step(_ x: Tensor, cache: KVCache?, layer: Int, memory: CrossAttentionMemory?,
              returnWeights: Bool) throws -> (output: Tensor, selfWeights: Tensor?, crossWeights: Tensor?) {
        let (attended, selfWeights) = try attention.attend(norms[0](x), cache: cache, layer: layer,
                                                           returnWeights: returnWeights)
        var x = try x + attended
        var crossWeights: Tensor?
        if let crossAttention {
            guard let memory else {
                throw AttentionError.invalid("TransformerBlock: a decoder block needs the encoder output (memory)")
            }
            let (crossed, weights) = try crossAttention.attendCross(
                norms[1](x), keys: memory.keys[layer], values: memory.values[layer],
                paddingMask: memory.paddingMask, returnWeights: returnWeights)
            x = try x + crossed
            crossWeights = weights
        }
        return (try x + mlp(norms[norms.count - 1](x)), selfWeights, crossWeights)
    }
}
