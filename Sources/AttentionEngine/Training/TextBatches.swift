/// Next-token training batches from one long token sequence (a corpus): random windows of
/// T + 1 tokens, inputs = the first T, targets = the last T (nanoGPT's `get_batch`).
///
/// The split is interleaved so that validation samples every part of a corpus made of different
/// texts (the default corpus is Dao De Jing, then the Analects, then Tang poems: a plain "last
/// 10 %" split would validate on poems only). The sequence is cut into S equal segments and the
/// last `validationFraction` of each segment validates, with S = min(20, validation tokens /
/// (T + 1)) ≥ 1, so every validation piece holds at least one window. Windows never cross a piece
/// boundary, so no validation window overlaps a training one.
///
///     let tokenizer = try CharTokenizer(corpus: DefaultData.corpus)
///     let data = try TextBatches(text: DefaultData.corpus, tokenizer: tokenizer, contextLength: 64)
///     var rng = Random(seed: 1)
///     let batch = try data.batch(.train, size: 16, using: &rng)   // inputs, targets (16,64)
public struct TextBatches: Sendable {
    public enum Split: String, Sendable { case train, validation }

    public let contextLength: Int
    public let tokens: [Int32]
    /// The pieces of `tokens` of each split, in order.
    public let trainRanges: [Range<Int>]
    public let validationRanges: [Range<Int>]

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
        let segments = max(1, min(20, validationCount / (contextLength + 1)))
        var train: [Range<Int>] = [], validation: [Range<Int>] = []
        for s in 0..<segments {
            let start = tokens.count * s / segments, end = tokens.count * (s + 1) / segments
            let cut = end - (validationCount * (s + 1) / segments - validationCount * s / segments)
            if cut - start > contextLength { train.append(start..<cut) }
            if end - cut > contextLength { validation.append(cut..<end) }
        }
        guard !train.isEmpty, validationCount == 0 || !validation.isEmpty else {
            throw AttentionError.invalid(
                "text batches: the corpus of \(tokens.count) tokens is too short for context length \(contextLength): the training split has \(tokens.count - validationCount) and the validation split \(validationCount) tokens, each needs at least \(contextLength + 1)")
        }
        self.contextLength = contextLength
        self.tokens = tokens
        trainRanges = train
        validationRanges = validation
    }

    /// Encodes `text` with `tokenizer` (characters outside its vocabulary become UNK).
    public init(text: String, tokenizer: CharTokenizer, contextLength: Int, validationFraction: Double = 0.1) throws {
        try self.init(tokens: tokenizer.encode(text), contextLength: contextLength,
                      validationFraction: validationFraction)
    }

    /// Whether the split has at least one window.
    public func hasWindows(_ split: Split) -> Bool { !(split == .train ? trainRanges : validationRanges).isEmpty }

    /// `size` windows drawn uniformly among all windows of the split (one `nextInt` per row, in
    /// order). Throws for size < 1 or an empty split.
    public func batch(_ split: Split, size: Int, using rng: inout Random) throws -> TokenBatch {
        let ranges = split == .train ? trainRanges : validationRanges
        guard size >= 1 else { throw AttentionError.invalid("text batches: batch size \(size) must be >= 1") }
        guard !ranges.isEmpty else { throw AttentionError.invalid("text batches: the \(split.rawValue) split is empty") }
        let T = contextLength
        let windowCounts = ranges.map { $0.count - T }  // starts per piece
        let totalWindows = windowCounts.reduce(0, +)
        var inputs: [Int32] = [], targets: [Int32] = []
        inputs.reserveCapacity(size * T)
        targets.reserveCapacity(size * T)
        for _ in 0..<size {
            var window = rng.nextInt(below: totalWindows), piece = 0
            while window >= windowCounts[piece] {
                window -= windowCounts[piece]
                piece += 1
            }
            let start = ranges[piece].lowerBound + window
            inputs += tokens[start..<start + T]
            targets += tokens[start + 1...start + T]
        }
        return TokenBatch(inputs: inputs, targets: targets, batch: size, time: T)
    }
}
