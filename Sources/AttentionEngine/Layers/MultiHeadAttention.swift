/// Multi-head scaled dot-product attention (self or cross), on the fused attention kernel.
///
/// Q, K and V are the input times learned matrices; heads split the channels C into NH slices
/// of HS = C / NH. Self-attention uses one projection `c_attn` (C → 3C, nanoGPT's name) for
/// q, k, v; cross-attention projects the queries from x with `q_proj` (C → C) and keys and values
/// from the encoder output with `kv_proj` (C → 2C). Both end with `c_proj` (C → C).
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
        let layer = "MultiHeadAttention(channels: \(channels), heads: \(heads))"
        guard x.rank == 3, x.shape[2] == channels else {
            throw AttentionError.shape("\(layer): input \(x.shape) is not (B,T,\(channels))")
        }
        let batch = x.shape[0]
        let q, k, v: Tensor  // (B,NH,T,HS)
        switch inputs {
        case .selfAttention(let qkv):
            guard memory == nil else { throw AttentionError.invalid("\(layer): self-attention takes no memory") }
            // (B,T,3C) = (B,T,3,NH,HS) → q, k, v (B,NH,T,HS)
            let all = try qkv(x)
            (q, k, v) = (try all.splitHeads(heads, parts: 3, part: 0), try all.splitHeads(heads, parts: 3, part: 1),
                         try all.splitHeads(heads, parts: 3, part: 2))
        case .cross(let query, let keyValue):
            guard let memory, memory.rank == 3, memory.shape[0] == batch, memory.shape[2] == channels else {
                throw AttentionError.shape(
                    "\(layer): cross-attention needs memory (B=\(batch),Tk,\(channels)), got \(memory?.shape.description ?? "none")")
            }
            q = try query(x).splitHeads(heads, parts: 1, part: 0)
            // (B,Tk,2C) = (B,Tk,2,NH,HS) → k, v (B,NH,Tk,HS)
            let kv = try keyValue(memory)
            (k, v) = (try kv.splitHeads(heads, parts: 2, part: 0), try kv.splitHeads(heads, parts: 2, part: 1))
        }
        let (attended, weights) = try Tensor.attention(query: q, key: k, value: v, causal: causal,
                                                       keyPaddingMask: keyPaddingMask, returnWeights: returnWeights)
        // (B,NH,Tq,HS) → (B,Tq,C)
        return (try projection(attended.mergedHeads()), weights)
    }
}
