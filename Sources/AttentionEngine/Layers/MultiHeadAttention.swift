/// Multi-head scaled dot-product attention (self or cross), on the fused attention kernel.
///
/// Q, K and V are the input times learned matrices; heads split the channels C into NH slices
/// of HS = C / NH. Self-attention uses one projection `c_attn` (C → 3C, nanoGPT's name) for
/// q, k, v; cross-attention projects the queries from x with `q_proj` (C → C) and keys and values
/// from the encoder output with `kv_proj` (C → 2C). Both end with `c_proj` (C → C).
///
/// Letters: B batch, Tq queries, L cached tokens, Tk keys, C channels, NH heads, HS head size.
public final class MultiHeadAttention: Module {
    public let channels: Int
    public let heads: Int
    public let isCross: Bool
    public let causal: Bool
    enum InputProjections {
        case selfAttention(qkv: Linear)                // c_attn (3C, C)
        case cross(query: Linear, keyValue: Linear)    // q_proj (C, C), kv_proj (2C, C)
    }
    let inputs: InputProjections
    let projection: Linear  // c_proj (C, C)

    public var children: [(name: String, module: any Module)] {
        switch inputs {
        case .selfAttention(let qkv): return [("c_attn", qkv), ("c_proj", projection)]
        case .cross(let query, let keyValue): return [("q_proj", query), ("kv_proj", keyValue), ("c_proj", projection)]
        }
    }

    private var name: String { "MultiHeadAttention(channels: \(channels), heads: \(heads))" }

    /// Throws when `heads` does not divide `channels` or a size is not positive.
    public init(channels: Int, heads: Int, causal: Bool, cross: Bool = false, rng: inout Random) throws {
        guard channels > 0, heads > 0, channels % heads == 0 else {
            throw AttentionError.shape(
                "MultiHeadAttention(channels: \(channels), heads: \(heads)): the head count must be positive and divide the width")
        }
        self.channels = channels
        self.heads = heads
        self.causal = causal
        isCross = cross
        if cross {
            inputs = .cross(query: try Linear(inFeatures: channels, outFeatures: channels, rng: &rng),
                            keyValue: try Linear(inFeatures: channels, outFeatures: 2 * channels, rng: &rng))
        } else {
            inputs = .selfAttention(qkv: try Linear(inFeatures: channels, outFeatures: 3 * channels, rng: &rng))
        }
        projection = try Linear(inFeatures: channels, outFeatures: channels, rng: &rng)
    }

    /// x (B,Tq,C); `memory` (B,Tk,C) is the encoder output for cross-attention (nil for self);
    /// `keyPaddingMask` (B·Tk, true = padding key to ignore). Returns (B,Tq,C) and, with
    /// `returnWeights`, the attention probabilities (B,NH,Tq,Tk).
    public func callAsFunction(_ x: Tensor, memory: Tensor? = nil, keyPaddingMask: [Bool]? = nil,
                               returnWeights: Bool = false) throws -> (output: Tensor, weights: Tensor?) {
        guard let memory else {
            return try attend(x, cache: nil, layer: 0, keyPaddingMask: keyPaddingMask, returnWeights: returnWeights)
        }
        try checkInput(x)
        guard isCross else { throw AttentionError.invalid("\(name): self-attention takes no memory") }
        guard memory.rank == 3, memory.shape[0] == x.shape[0] else {
            throw AttentionError.shape(
                "\(name): cross-attention needs memory (B=\(x.shape[0]),Tk,\(channels)), got \(memory.shape)")
        }
        let (keys, values) = try keysValues(memory)
        return try attendCross(x, keys: keys, values: values, paddingMask: keyPaddingMask, returnWeights: returnWeights)
    }

    /// Throws unless x is (B,T,C).
    private func checkInput(_ x: Tensor) throws {
        guard x.rank == 3, x.shape[2] == channels else {
            throw AttentionError.shape("\(name): input \(x.shape) is not (B,T,\(channels))")
        }
    }

    /// Self-attention of x (B,Tq,C): over x's own keys and values, or with a `cache`, over the
    /// L keys and values cached for layer `layer` followed by x's own, which are appended to the
    /// cache. `keyPaddingMask` (B·Tq) only without a cache. Returns (B,Tq,C) and, with
    /// `returnWeights`, the probabilities (B,NH,Tq,L+Tq).
    func attend(_ x: Tensor, cache: KVCache?, layer: Int, keyPaddingMask: [Bool]?,
                returnWeights: Bool) throws -> (output: Tensor, weights: Tensor?) {
        try checkInput(x)
        guard case .selfAttention(let qkv) = inputs else {
            throw AttentionError.shape("\(name): cross-attention needs memory (B,Tk,\(channels)), got none")
        }
        // (B,Tq,3C) = (B,Tq,3,NH,HS) → q, k, v (B,NH,Tq,HS)
        let all = try qkv(x)
        let (q, k, v) = (try all.splitHeads(heads, parts: 3, part: 0), try all.splitHeads(heads, parts: 3, part: 1),
                         try all.splitHeads(heads, parts: 3, part: 2))
        let (attended, weights): (Tensor, Tensor?)
        if let cache {
            guard keyPaddingMask == nil else { throw AttentionError.invalid("\(name): a KV cache takes no padding mask") }
            (attended, weights) = try cache.attend(layer: layer, query: q, keys: k, values: v, causal: causal,
                                                   returnWeights: returnWeights)
        } else {
            (attended, weights) = try Tensor.attention(query: q, key: k, value: v, causal: causal,
                                                       keyPaddingMask: keyPaddingMask, returnWeights: returnWeights)
        }
        // (B,NH,Tq,HS) → (B,Tq,C)
        return (try projection(attended.mergedHeads()), weights)
    }

    /// Keys and values of the encoder output for this cross-attention layer:
    /// memory (B,Tk,C) → k, v (B,NH,Tk,HS).
    func keysValues(_ memory: Tensor) throws -> (keys: Tensor, values: Tensor) {
        guard case .cross(_, let keyValue) = inputs else {
            throw AttentionError.invalid("\(name): a self-attention layer has no cross keys")
        }
        guard memory.rank == 3, memory.shape[2] == channels else {
            throw AttentionError.shape("\(name): cross-attention needs memory (B,Tk,\(channels)), got \(memory.shape)")
        }
        // (B,Tk,2C) = (B,Tk,2,NH,HS) → k, v (B,NH,Tk,HS)
        let kv = try keyValue(memory)
        return (try kv.splitHeads(heads, parts: 2, part: 0), try kv.splitHeads(heads, parts: 2, part: 1))
    }

    /// Cross-attention of x (B,Tq,C) over encoder keys and values (B,NH,Tk,HS) from `keysValues`;
    /// `paddingMask` (B·Tk, true = padding). Returns (B,Tq,C) and, with `returnWeights`, the
    /// probabilities (B,NH,Tq,Tk).
    func attendCross(_ x: Tensor, keys: Tensor, values: Tensor, paddingMask: [Bool]?,
                     returnWeights: Bool) throws -> (output: Tensor, weights: Tensor?) {
        try checkInput(x)
        guard case .cross(let query, _) = inputs else {
            throw AttentionError.invalid("\(name): self-attention takes no memory")
        }
        guard keys.rank == 4, keys.shape[0] == x.shape[0] else {
            throw AttentionError.shape(
                "\(name): cross-attention needs memory (B=\(x.shape[0]),Tk,\(channels)), got keys \(keys.shape)")
        }
        let q = try query(x).splitHeads(heads, parts: 1, part: 0)  // (B,Tq,C) → (B,NH,Tq,HS)
        let (attended, weights) = try Tensor.attention(query: q, key: keys, value: values, causal: causal,
                                                       keyPaddingMask: paddingMask, returnWeights: returnWeights)
        // (B,NH,Tq,HS) → (B,Tq,C)
        return (try projection(attended.mergedHeads()), weights)
    }
}
