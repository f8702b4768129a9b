/// The interface shared by the next-character language models (`GPT`, `RecurrentLM`,
/// `ConvolutionalLM`): config → init, forward → logits, loss. Generation (Generation/) builds
/// a decoding context on top: `makeDecodingContext(cached:)`.
///
/// Letters: B batch, T time, V vocabulary. Token batches are row-major (B,T) arrays of ids.
///
///     let model = try GPT(config: GPTConfig(nLayer: 2, nHead: 2, nEmbd: 64, contextLength: 32,
///                                           vocabularySize: tokenizer.vocabularySize), seed: 1)
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
    /// Mean cross-entropy of the next-token predictions: tokens and targets (B,T) → scalar.
    /// By default `logits(…)` then `crossEntropyLoss`; a model with a tied head fuses the two
    /// (`linearCrossEntropyLoss`) so that training never holds the (B,T,V) logits.
    func loss(tokens: [Int32], targets: [Int32], batch: Int, time: Int) throws -> Tensor
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
