/// The interface shared by the next-character language models (`GPT`, `RecurrentLM`,
/// `ConvolutionalLM`): config → init, forward → logits, loss, and a decoding context for
/// generation (see `Generator.swift`).
///
/// Letters: B batch, T time, V vocabulary. Token batches are row-major (B,T) arrays of ids.
///
///     let model = try GPT(config: GPTConfig(nLayer: 2, nHead: 2, nEmbd: 64, blockSize: 32,
///                                           vocabSize: tokenizer.vocabularySize), seed: 1)
///     let loss = try model.loss(tokens: batch.inputs, targets: batch.targets,
///                               batch: batch.batch, time: batch.time)
public protocol LanguageModel: Module {
    /// Number of token ids V the model reads and predicts.
    var vocabularySize: Int { get }
    /// Longest sequence one forward pass takes (GPT's block_size); training windows use it.
    var contextLength: Int { get }
    /// The configuration as plain strings (checkpoint metadata), including "model" (the kind).
    var configDictionary: [String: String] { get }
    /// tokens (B,T) → logits (B,T,V). Dropout applies when the model is in training mode.
    func logits(tokens: [Int32], batch: Int, time: Int) throws -> Tensor
    /// A fresh per-generation state (KV cache, recurrent state or token window) for one
    /// sequence. The model is only read: several threads may each drive their own context.
    /// `cached: false` recomputes the whole window at every step (the reference).
    func makeDecodingContext(cached: Bool) throws -> any DecodingContext
}

extension LanguageModel {
    /// Mean cross-entropy of the next-token predictions: tokens and targets (B,T) → scalar.
    public func loss(tokens: [Int32], targets: [Int32], batch: Int, time: Int) throws -> Tensor {
        try logits(tokens: tokens, batch: batch, time: time).crossEntropyLoss(targets: targets)
    }

    /// The loss of a `TokenBatch` (inputs and targets (B,T)).
    public func loss(_ batch: TokenBatch) throws -> Tensor {
        try loss(tokens: batch.inputs, targets: batch.targets, batch: batch.batch, time: batch.time)
    }

    /// Checks that `tokens` holds B·T ids in 0..<V and that 0 < T ≤ contextLength.
    func checkTokens(_ tokens: [Int32], batch: Int, time: Int, model: String) throws {
        guard batch >= 0, time >= 0, time <= contextLength,
              tokens.count == batch * time else {
            throw AttentionError.shape(
                "\(model): \(tokens.count) tokens for (B,T) = (\(batch),\(time)) with context length \(contextLength)")
        }
        if let bad = tokens.first(where: { $0 < 0 || Int($0) >= vocabularySize }) {
            throw AttentionError.invalid("\(model): token id \(bad) outside the vocabulary 0..<\(vocabularySize)")
        }
    }
}

/// The state of one generation: tokens go in, the logits of the next token come out.
public protocol DecodingContext: AnyObject {
    /// Number of tokens fed so far.
    var length: Int { get }
    /// Feeds `tokens` (at least one) after those already fed and returns the logits (V) that
    /// predict the token after the last of them.
    func append(_ tokens: [Int32]) throws -> [Float]
    /// The attention weights of the last `append` when `recordsAttention` is on (empty for models
    /// without attention).
    var lastAttention: [AttentionMap] { get }
    /// Whether `append` keeps the attention weights of every layer and head.
    var recordsAttention: Bool { get set }
}

extension DecodingContext {
    public var lastAttention: [AttentionMap] { [] }
    public var recordsAttention: Bool {
        get { false }
        set {}
    }
}

/// The uncached reference context: keeps every token and runs the model's full forward pass over
/// the last `contextLength` tokens at each step (nanoGPT's `generate`).
final class WindowDecodingContext: DecodingContext {
    private let model: any LanguageModel
    private var tokens: [Int32] = []

    init(model: any LanguageModel) { self.model = model }

    var length: Int { tokens.count }

    func append(_ newTokens: [Int32]) throws -> [Float] {
        guard !newTokens.isEmpty else { throw AttentionError.invalid("decoding: append needs at least one token") }
        let window = Array((tokens + newTokens).suffix(model.contextLength))
        let logits = try Autograd.withNoGrad { try model.logits(tokens: window, batch: 1, time: window.count) }
        tokens += newTokens
        let vocab = model.vocabularySize
        return Array(logits.scalars[(window.count - 1) * vocab..<window.count * vocab])
    }
}
