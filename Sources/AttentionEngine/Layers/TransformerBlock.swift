/// The MLP of a transformer block: C → 4C, GELU, 4C → C (nanoGPT's `c_fc`, `c_proj`). The GELU
/// is the exact erf form, as nanoGPT's `nn.GELU()`, so weights trained there give its logits.
public final class MLP: Module {
    private let expand: Linear
    private let project: Linear
    public var children: [(name: String, module: any Module)] { [("c_fc", expand), ("c_proj", project)] }

    public init(channels: Int, rng: inout Random) throws {
        expand = try Linear(inFeatures: channels, outFeatures: 4 * channels, rng: &rng)
        project = try Linear(inFeatures: 4 * channels, outFeatures: channels, rng: &rng)
    }

    /// x (…, C) → (…, C).
    public func callAsFunction(_ x: Tensor) throws -> Tensor { try project(expand(x).geluExact()) }
}

/// A pre-LN transformer block with residual connections.
///
/// Encoder (or GPT) block:            x = x + attn(ln_1(x));  x = x + mlp(ln_2(x))
/// Decoder block with cross-attention: x = x + attn(ln_1(x)) (causal);
///                                     x = x + cross_attn(ln_2(x), memory);  x = x + mlp(ln_3(x))
public final class TransformerBlock: Module {
    public let attention: MultiHeadAttention
    public let crossAttention: MultiHeadAttention?
    let norms: [LayerNorm]
    let mlp: MLP

    public var children: [(name: String, module: any Module)] {
        var result: [(name: String, module: any Module)] = [("ln_1", norms[0]), ("attn", attention)]
        if let crossAttention { result += [("ln_2", norms[1]), ("cross_attn", crossAttention)] }
        return result + [("ln_\(norms.count)", norms[norms.count - 1]), ("mlp", mlp)]
    }

    /// An encoder block (`causal: false`), a GPT block (`causal: true`), or a decoder block with
    /// cross-attention (`crossAttention: true`, normally causal). Throws when `heads` does not
    /// divide `channels`.
    public init(channels: Int, heads: Int, causal: Bool, crossAttention: Bool = false, rng: inout Random) throws {
        attention = try MultiHeadAttention(channels: channels, heads: heads, causal: causal, rng: &rng)
        self.crossAttention = crossAttention
            ? try MultiHeadAttention(channels: channels, heads: heads, causal: false, cross: true, rng: &rng) : nil
        norms = try (0..<(crossAttention ? 3 : 2)).map { _ in try LayerNorm(channels: channels) }
        mlp = try MLP(channels: channels, rng: &rng)
    }

    /// x (B,T,C) → (B,T,C). `memory` (B,Tk,C) is required by a decoder block; `keyPaddingMask`
    /// (B·T) masks padded positions of x in self-attention, `memoryPaddingMask` (B·Tk) those of
    /// the memory in cross-attention.
    public func callAsFunction(_ x: Tensor, memory: Tensor? = nil, keyPaddingMask: [Bool]? = nil,
                               memoryPaddingMask: [Bool]? = nil) throws -> Tensor {
        var x = try x + attention(norms[0](x), keyPaddingMask: keyPaddingMask).output
        if let crossAttention {
            guard let memory else {
                throw AttentionError.invalid("TransformerBlock: a decoder block needs the encoder output (memory)")
            }
            x = try x + crossAttention(norms[1](x), memory: memory, keyPaddingMask: memoryPaddingMask).output
        }
        return try x + mlp(norms[norms.count - 1](x))
    }
}
