/// Configuration of the convolutional language model: n_layer causal Conv1d layers of width
/// n_embd with kernel size K and dilations 1, 2, 4, …, a training window (block_size) and the
/// vocabulary size. The receptive field is 1 + (K − 1)·(2^n_layer − 1) tokens.
public struct ConvolutionalLMConfig: Equatable, Sendable {
    public var nLayer: Int
    public var nEmbd: Int
    public var kernelSize: Int
    public var contextLength: Int
    public var vocabularySize: Int

    public init(nLayer: Int, nEmbd: Int, kernelSize: Int, contextLength: Int, vocabularySize: Int) {
        self.nLayer = nLayer
        self.nEmbd = nEmbd
        self.kernelSize = kernelSize
        self.contextLength = contextLength
        self.vocabularySize = vocabularySize
    }

    /// Tokens one output sees: 1 + (K − 1)·(2^n_layer − 1).
    public var receptiveField: Int { 1 + (kernelSize - 1) * ((1 << nLayer) - 1) }

    /// Throws unless every size is positive, K ≥ 2 and n_layer ≤ 16 (dilation 2^15).
    public func validate() throws {
        let sizes = [("n_layer", nLayer), ("n_embd", nEmbd), ("block_size", contextLength), ("vocab_size", vocabularySize)]
        for (name, value) in sizes where value <= 0 {
            throw AttentionError.invalid("ConvolutionalLMConfig: \(name) = \(value) must be positive")
        }
        guard kernelSize >= 2, nLayer <= 16 else {
            throw AttentionError.invalid("ConvolutionalLMConfig: kernel_size \(kernelSize) must be >= 2 and n_layer \(nLayer) <= 16")
        }
    }

    /// The fields as strings, plus "model": "cnn".
    public var dictionary: [String: String] {
        ["model": "cnn", "n_layer": "\(nLayer)", "n_embd": "\(nEmbd)", "kernel_size": "\(kernelSize)",
         "block_size": "\(contextLength)", "vocab_size": "\(vocabularySize)"]
    }
}

/// A convolutional language model (WaveNet/TCN style): token embedding `wte` (V,C) → n_layer
/// residual blocks x = x + GELU(conv_i(LN_i(x))) with causal dilated Conv1d `conv.{i}` (dilation
/// 2^i) → `ln_f` → head tied to `wte`. Causal padding: the logits at t see tokens ≤ t only.
///
/// Generation recomputes the last block_size tokens at each step (no state cache).
public final class ConvolutionalLM: LanguageModel, TiedOutputHead {
    public let config: ConvolutionalLMConfig
    public let wte: Embedding
    public let norms: ModuleList<LayerNorm>
    public let convolutions: ModuleList<Conv1d>
    public let lnF: LayerNorm
    public var children: [(name: String, module: any Module)] {
        [("wte", wte), ("ln", norms), ("conv", convolutions), ("ln_f", lnF)]
    }
    public var tokenTable: Embedding { wte }

    /// Validates `config`; embedding N(0, 0.02²), convolutions PyTorch's default uniform, drawn
    /// from `Random(seed:)`.
    public init(config: ConvolutionalLMConfig, seed: UInt64) throws {
        try config.validate()
        self.config = config
        var rng = Random(seed: seed)
        wte = try Embedding(vocabularySize: config.vocabularySize, channels: config.nEmbd, rng: &rng)
        norms = ModuleList(try (0..<config.nLayer).map { _ in try LayerNorm(channels: config.nEmbd) })
        convolutions = ModuleList(try (0..<config.nLayer).map { index in
            try Conv1d(inChannels: config.nEmbd, outChannels: config.nEmbd, kernelSize: config.kernelSize,
                       dilation: 1 << index, padding: .causal, rng: &rng)
        })
        lnF = try LayerNorm(channels: config.nEmbd)
    }

    public var vocabularySize: Int { config.vocabularySize }
    public var contextLength: Int { config.contextLength }
    public var configDictionary: [String: String] { config.dictionary }

    public func logits(tokens: [Int32], batch: Int, time: Int) throws -> Tensor {
        try wte.project(features(tokens: tokens, batch: batch, time: time))
    }

    /// Mean cross-entropy of the next-token predictions, with the tied head fused into the loss.
    public func loss(tokens: [Int32], targets: [Int32], batch: Int, time: Int) throws -> Tensor {
        try tiedHeadLoss(features(tokens: tokens, batch: batch, time: time), targets: targets)
    }

    /// tokens (B,T) → the head's input ln_f(…) (B,T,C).
    private func features(tokens: [Int32], batch: Int, time: Int) throws -> Tensor {
        try checkTokens(tokens, batch: batch, time: time, model: "ConvolutionalLM")
        var x = try wte(tokens, shape: [batch, time])  // (B,T,C)
        for (norm, convolution) in zip(norms.modules, convolutions.modules) {
            x = try x + convolution(norm(x)).gelu()
        }
        return try lnF(x)
    }
}
