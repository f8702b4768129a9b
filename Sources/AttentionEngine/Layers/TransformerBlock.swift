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
/// Encoder (or GPT) block:            x = x + attn(ln1(x));  x = x + mlp(ln2(x))
/// Decoder block with cross-attention: x = x + attn(ln1(x)) (causal);
///                                     x = x + cross_attn(lnCross(x), memory);  x = x + mlp(ln2(x))
///
/// Checkpoint names (nanoGPT's): `ln_1`, `attn`, `ln_2`, `mlp`; a decoder block names its norms
/// in order, `ln_1`, `ln_2` (= `lnCross`), `ln_3` (= `ln2`), with `cross_attn` after `ln_2`.
///
/// Letters: B batch, T new tokens, L cached tokens, Tk memory tokens, C channels, NH heads, HS
/// head size.
public final class TransformerBlock: Module {
    /// Norm before self-attention (`ln_1`).
    public let ln1: LayerNorm
    public let attention: MultiHeadAttention
    /// Norm before cross-attention (`ln_2` of a decoder block).
    public let lnCross: LayerNorm?
    public let crossAttention: MultiHeadAttention?
    /// Norm before the MLP (`ln_2`, or `ln_3` in a decoder block).
    public let ln2: LayerNorm
    public let mlp: MLP

    public var children: [(name: String, module: any Module)] {
        var result: [(name: String, module: any Module)] = [("ln_1", ln1), ("attn", attention)]
        if let lnCross, let crossAttention { result += [("ln_2", lnCross), ("cross_attn", crossAttention)] }
        return result + [(crossAttention == nil ? "ln_2" : "ln_3", ln2), ("mlp", mlp)]
    }

    /// An encoder block (`causal: false`), a GPT block (`causal: true`), or a decoder block with
    /// cross-attention (`crossAttention: true`, normally causal). Throws when `heads` does not
    /// divide `channels`.
    public init(channels: Int, heads: Int, causal: Bool, crossAttention: Bool = false, rng: inout Random) throws {
        attention = try MultiHeadAttention(channels: channels, heads: heads, causal: causal, rng: &rng)
        self.crossAttention = crossAttention
            ? try MultiHeadAttention(channels: channels, heads: heads, causal: false, cross: true, rng: &rng) : nil
        ln1 = try LayerNorm(channels: channels)
        lnCross = crossAttention ? try LayerNorm(channels: channels) : nil
        ln2 = try LayerNorm(channels: channels)
        mlp = try MLP(channels: channels, rng: &rng)
    }

    /// x (B,T,C) → (B,T,C). `memory` (B,Tk,C) is required by a decoder block; `keyPaddingMask`
    /// (B·T) masks padded positions of x in self-attention, `memoryPaddingMask` (B·Tk) those of
    /// the memory in cross-attention.
    public func callAsFunction(_ x: Tensor, memory: Tensor? = nil, keyPaddingMask: [Bool]? = nil,
                               memoryPaddingMask: [Bool]? = nil) throws -> Tensor {
        let projected = try memory.map { memory -> CrossAttentionMemory.Layer in
            guard let crossAttention else {
                throw AttentionError.invalid("TransformerBlock: an encoder block takes no memory")
            }
            let (keys, values) = try crossAttention.keysValues(memory)
            return CrossAttentionMemory.Layer(keys: keys, values: values, paddingMask: memoryPaddingMask)
        }
        return try forward(x, keyPaddingMask: keyPaddingMask, memory: projected).output
    }

    /// The block's forward pass, the one every model runs (training, decoding, inspection):
    /// x (B,T,C) → (B,T,C).
    ///
    /// - `cache`: self-attention reads the L tokens cached for layer `layer` before x's own and
    ///   appends x's keys and values (decoding); nil attends over x alone (training).
    /// - `keyPaddingMask` (B·T, true = padding): masks padded positions of x in self-attention.
    /// - `memory`: the encoder output as this layer's cross-attention keys and values, required
    ///   by a decoder block.
    /// - `returnWeights`: also return the self-attention probabilities (B,NH,T,L+T) and, in a
    ///   decoder block, the cross-attention probabilities (B,NH,T,Tk).
    func forward(_ x: Tensor, cache: KVCache? = nil, layer: Int = 0, keyPaddingMask: [Bool]? = nil,
                 memory: CrossAttentionMemory.Layer? = nil, returnWeights: Bool = false) throws
        -> (output: Tensor, selfWeights: Tensor?, crossWeights: Tensor?) {
        let (attended, selfWeights) = try attention.attend(ln1(x), cache: cache, layer: layer,
                                                           keyPaddingMask: keyPaddingMask, returnWeights: returnWeights)
        var x = try x + attended
        var crossWeights: Tensor?
        if let crossAttention, let lnCross {
            guard let memory else {
                throw AttentionError.invalid("TransformerBlock: a decoder block needs the encoder output (memory)")
            }
            let crossed: Tensor
            (crossed, crossWeights) = try crossAttention.attendCross(
                lnCross(x), keys: memory.keys, values: memory.values, paddingMask: memory.paddingMask,
                returnWeights: returnWeights)
            x = try x + crossed
        } else if memory != nil {
            throw AttentionError.invalid("TransformerBlock: an encoder block takes no memory")
        }
        return (try x + mlp(ln2(x)), selfWeights, crossWeights)
    }
}
