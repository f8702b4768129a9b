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
/// A corpus of documents (poems separated by blank lines, given as `documentStarts`) is split
/// between documents: each cut moves forward to the next document start, unless that is half a
/// validation piece or more away (a document that long is cut as before). So validation holds
/// out whole poems rather than windows cut across them.
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
    /// `documentStarts`: ascending token offsets where a document begins (empty: no documents).
    public init(tokens: [Int32], contextLength: Int, validationFraction: Double = 0.1,
                documentStarts: [Int] = []) throws {
        guard !tokens.isEmpty else { throw AttentionError.invalid("text batches: the corpus is empty") }
        guard contextLength >= 1 else {
            throw AttentionError.invalid("text batches: context length \(contextLength) must be >= 1")
        }
        guard validationFraction >= 0, validationFraction < 1 else {
            throw AttentionError.invalid("text batches: validation fraction \(validationFraction) must be in [0, 1)")
        }
        let validationCount = Int((Double(tokens.count) * validationFraction).rounded())
        let segments = max(1, min(20, validationCount / (contextLength + 1)))
        // Moves a cut to the next document start less than half a validation piece away. The
        // result is non-decreasing in the cut, so the pieces stay ordered and disjoint.
        let maximumShift = max(1, validationCount / segments / 2)
        func snapped(_ cut: Int) -> Int {
            guard cut > 0, cut < tokens.count else { return cut }
            var low = 0, high = documentStarts.count  // first index with documentStarts[i] >= cut
            while low < high {
                let middle = (low + high) / 2
                if documentStarts[middle] < cut { low = middle + 1 } else { high = middle }
            }
            guard low < documentStarts.count, documentStarts[low] - cut < maximumShift else { return cut }
            return min(documentStarts[low], tokens.count)
        }
        var train: [Range<Int>] = [], validation: [Range<Int>] = []
        for s in 0..<segments {
            let rawEnd = tokens.count * (s + 1) / segments
            let rawCut = rawEnd - (validationCount * (s + 1) / segments - validationCount * s / segments)
            let start = snapped(tokens.count * s / segments), cut = snapped(rawCut), end = snapped(rawEnd)
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

    /// Encodes `text` with `tokenizer` (characters outside its vocabulary become UNK). Paragraphs
    /// (text after one or more blank lines, see `paragraphStarts(in:)`) are the documents, so a
    /// corpus of poems separated by blank lines validates on whole poems.
    public init(text: String, tokenizer: CharTokenizer, contextLength: Int, validationFraction: Double = 0.1) throws {
        try self.init(tokens: tokenizer.encode(text), contextLength: contextLength,
                      validationFraction: validationFraction, documentStarts: Self.paragraphStarts(in: text))
    }

    /// The scalar offsets (= token offsets of a char tokenizer) of the first character of each
    /// paragraph after the first: the first non-newline scalar following a blank line (a line
    /// empty or holding only a carriage return), ascending.
    ///
    ///     TextBatches.paragraphStarts(in: "ab\n\ncd\n\n\nef\ngh")   // [4, 9]
    public static func paragraphStarts(in text: String) -> [Int] {
        var starts: [Int] = []
        var lineIsBlank = false, afterBlankLine = false  // lineIsBlank: only \r since the last \n
        for (offset, scalar) in text.unicodeScalars.enumerated() {
            switch scalar {
            case "\n":
                if lineIsBlank { afterBlankLine = true }
                lineIsBlank = true
            case "\r":
                continue
            default:
                if afterBlankLine { starts.append(offset) }
                lineIsBlank = false
                afterBlankLine = false
            }
        }
        return starts
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
