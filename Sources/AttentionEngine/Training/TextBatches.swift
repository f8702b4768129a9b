/// Next-token training batches from one long token sequence (a corpus): random windows of
/// T + 1 tokens, inputs = the first T, targets = the last T (nanoGPT's `get_batch`).
///
/// The sequence is split once: the first (1 − validationFraction) of the tokens train, the rest
/// validate, so no validation window overlaps a training one.
///
///     let tokenizer = try CharTokenizer(corpus: DefaultData.corpus)
///     let data = try TextBatches(text: DefaultData.corpus, tokenizer: tokenizer, contextLength: 64)
///     var rng = Random(seed: 1)
///     let batch = try data.batch(.train, size: 16, using: &rng)   // inputs, targets (16,64)
public struct TextBatches: Sendable {
    public enum Split: String, Sendable { case train, validation }

    public let contextLength: Int
    public let trainTokens: [Int32]
    public let validationTokens: [Int32]

    /// Throws for an empty sequence, contextLength < 1, a fraction outside [0, 1), or a split
    /// shorter than contextLength + 1 tokens (an empty validation split is allowed with fraction 0).
    public init(tokens: [Int32], contextLength: Int, validationFraction: Double = 0.1) throws {
        guard !tokens.isEmpty else { throw AttentionError.invalid("text batches: the corpus is empty") }
        guard contextLength >= 1 else {
            throw AttentionError.invalid("text batches: context length \(contextLength) must be >= 1")
        }
        guard validationFraction >= 0, validationFraction < 1 else {
            throw AttentionError.invalid("text batches: validation fraction \(validationFraction) must be in [0, 1)")
        }
        let validationCount = Int((Double(tokens.count) * validationFraction).rounded())
        let trainCount = tokens.count - validationCount
        guard trainCount > contextLength, validationCount == 0 || validationCount > contextLength else {
            throw AttentionError.invalid(
                "text batches: the corpus of \(tokens.count) tokens is too short for context length \(contextLength): the training split has \(trainCount) and the validation split \(validationCount) tokens, each needs at least \(contextLength + 1)")
        }
        self.contextLength = contextLength
        trainTokens = Array(tokens[..<trainCount])
        validationTokens = Array(tokens[trainCount...])
    }

    /// Encodes `text` with `tokenizer` (characters outside its vocabulary become UNK).
    public init(text: String, tokenizer: CharTokenizer, contextLength: Int, validationFraction: Double = 0.1) throws {
        try self.init(tokens: tokenizer.encode(text), contextLength: contextLength,
                      validationFraction: validationFraction)
    }

    /// `size` windows at positions drawn from `rng` (one `nextInt` per row, in order).
    /// Throws for size < 1 or an empty split.
    public func batch(_ split: Split, size: Int, using rng: inout Random) throws -> TokenBatch {
        let tokens = split == .train ? trainTokens : validationTokens
        guard size >= 1 else { throw AttentionError.invalid("text batches: batch size \(size) must be >= 1") }
        guard tokens.count > contextLength else {
            throw AttentionError.invalid("text batches: the \(split.rawValue) split is empty")
        }
        let T = contextLength
        var inputs: [Int32] = [], targets: [Int32] = []
        inputs.reserveCapacity(size * T)
        targets.reserveCapacity(size * T)
        for _ in 0..<size {
            let start = rng.nextInt(below: tokens.count - T)
            inputs += tokens[start..<start + T]
            targets += tokens[start + 1...start + T]
        }
        return TokenBatch(inputs: inputs, targets: targets, batch: size, time: T)
    }
}

/// Inputs and next-token targets, both (B,T) row-major.
public struct TokenBatch: Equatable, Sendable {
    public var inputs: [Int32]
    public var targets: [Int32]
    public var batch: Int
    public var time: Int

    public init(inputs: [Int32], targets: [Int32], batch: Int, time: Int) {
        self.inputs = inputs
        self.targets = targets
        self.batch = batch
        self.time = time
    }
}
