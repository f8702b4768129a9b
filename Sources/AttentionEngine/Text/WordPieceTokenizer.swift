// The standard library's NFD (SPI): the engine does not link Foundation.
@_spi(_Unicode) import Swift

/// BERT's tokenizer: text cleaning, CJK splitting, lower-casing and accent stripping, punctuation
/// splitting, then greedy longest-match WordPiece over a `vocab.txt`.
///
/// It reproduces the Hugging Face fast tokenizer (`BertNormalizer`, `BertPreTokenizer`,
/// `WordPiece`, `[CLS] … [SEP]` template) that sentence-transformers uses, step by step:
/// 1. Special tokens written literally in the text (`[CLS]`, `[SEP]`, `[PAD]`, `[MASK]`,
///    `[UNK]`, case-sensitive) become their ids; the text between them goes through 2–5.
/// 2. Cleaning: U+0000, U+FFFD and control, format and private-use characters (Cc, Cf, Co,
///    except tab, newline, carriage return) are dropped; whitespace becomes a space.
/// 3. Every CJK ideograph (the ranges of `isCJKIdeograph`) is surrounded by spaces, so it is
///    a word of its own.
/// 4. With `stripAccents` (default: same as `lowercase`), NFD then nonspacing marks (Mn)
///    removed; with `lowercase`, each scalar's full lower-case mapping.
/// 5. Words are split at whitespace, and every punctuation character (ASCII punctuation or
///    general category P*) is a word of its own.
/// 6. WordPiece: a word over `maxCharactersPerWord` (100) scalars is `[UNK]`; otherwise the
///    longest vocabulary prefix, then the longest `##`-prefixed continuation, and so on; if
///    some rest matches nothing the whole word is `[UNK]`.
///
///     let tokenizer = try WordPieceTokenizer(vocabulary: vocabLines)
///     tokenizer.encode("Hello, world!", maxLength: 256)    // [101, 7592, 1010, 2088, 999, 102]
public struct WordPieceTokenizer: Sendable {
    /// The tokens in id order (the lines of vocab.txt).
    public let vocabulary: [String]
    private let ids: [String: Int32]
    /// Special tokens matched literally in the text, longest first.
    private let specialTokens: [(text: [Unicode.Scalar], id: Int32)]
    public let lowercase: Bool
    public let stripAccents: Bool
    public let splitCJK: Bool
    public let unknown: Int32
    public let classifier: Int32
    public let separator: Int32
    public let padding: Int32
    /// Longer words are `[UNK]` without trying to split them (BERT's max_input_chars_per_word).
    public let maxCharactersPerWord = 100

    /// A tokenizer over `vocabulary` (token i has id i; a token listed twice keeps its last id,
    /// as Hugging Face's loader does). The special tokens must be in the vocabulary, else
    /// `AttentionError(.format)` naming the missing one.
    public init(vocabulary: [String], lowercase: Bool = true, stripAccents: Bool? = nil, splitCJK: Bool = true,
                unknownToken: String = "[UNK]", classifierToken: String = "[CLS]",
                separatorToken: String = "[SEP]", paddingToken: String = "[PAD]",
                maskToken: String? = "[MASK]") throws {
        guard !vocabulary.isEmpty else { throw AttentionError(.format, "vocab.txt: the vocabulary is empty") }
        guard vocabulary.count <= Int(Int32.max) else { throw AttentionError(.format, "vocab.txt: too many tokens") }
        var ids: [String: Int32] = [:]
        for (index, token) in vocabulary.enumerated() { ids[token] = Int32(index) }
        func id(_ token: String, _ role: String) throws -> Int32 {
            guard let id = ids[token] else {
                throw AttentionError(.format, "vocab.txt: the \(role) token '\(token)' is not in the vocabulary")
            }
            return id
        }
        self.vocabulary = vocabulary
        self.ids = ids
        self.lowercase = lowercase
        self.stripAccents = stripAccents ?? lowercase
        self.splitCJK = splitCJK
        unknown = try id(unknownToken, "unknown")
        classifier = try id(classifierToken, "classifier")
        separator = try id(separatorToken, "separator")
        padding = try id(paddingToken, "padding")
        var specials = [(unknownToken, unknown), (classifierToken, classifier), (separatorToken, separator),
                        (paddingToken, padding)]
        if let maskToken, let mask = ids[maskToken] { specials.append((maskToken, mask)) }
        specialTokens = specials.filter { !$0.0.isEmpty }
            .map { (text: Array($0.0.unicodeScalars), id: $0.1) }
            .sorted { $0.text.count > $1.text.count }
    }

    /// The ids of `text` framed as `[CLS] … [SEP]`, at most `maxLength` (≥ 2) of them: longer
    /// texts lose their last tokens, as the reference truncates.
    public func encode(_ text: String, maxLength: Int) -> [Int32] {
        let body = tokenIds(text)
        let kept = min(body.count, max(maxLength - 2, 0))
        return [classifier] + body[0..<kept] + [separator]
    }

    /// The WordPiece ids of `text` without `[CLS]`/`[SEP]` and without truncation.
    public func tokenIds(_ text: String) -> [Int32] {
        var result: [Int32] = []
        for segment in splitSpecialTokens(Array(text.unicodeScalars)) {
            switch segment {
            case .special(let id): result.append(id)
            case .text(let scalars):
                for word in words(normalize(scalars)) { appendWordPieces(of: word, to: &result) }
            }
        }
        return result
    }

    /// The tokens of `ids` as strings (`[UNK]` for an id outside the vocabulary).
    public func tokens(_ ids: [Int32]) -> [String] {
        ids.map { $0 >= 0 && Int($0) < vocabulary.count ? vocabulary[Int($0)] : vocabulary[Int(unknown)] }
    }

    // MARK: - 1. special tokens

    private enum Segment {
        case text([Unicode.Scalar])
        case special(Int32)
    }

    /// Splits out the leftmost-longest literal occurrences of the special tokens.
    private func splitSpecialTokens(_ scalars: [Unicode.Scalar]) -> [Segment] {
        var segments: [Segment] = []
        var start = 0, i = 0
        while i < scalars.count {
            if scalars[i] == "[", let match = specialTokens.first(where: { token in
                i + token.text.count <= scalars.count && scalars[i..<i + token.text.count].elementsEqual(token.text)
            }) {
                if start < i { segments.append(.text(Array(scalars[start..<i]))) }
                segments.append(.special(match.id))
                i += match.text.count
                start = i
            } else {
                i += 1
            }
        }
        if start < scalars.count { segments.append(.text(Array(scalars[start..<scalars.count]))) }
        return segments
    }

    // MARK: - 2–4. normalization

    /// Cleaning, CJK spacing, accent stripping and lower-casing, in the reference's order.
    private func normalize(_ scalars: [Unicode.Scalar]) -> [Unicode.Scalar] {
        var text: [Unicode.Scalar] = []
        text.reserveCapacity(scalars.count)
        for scalar in scalars {
            if scalar.value == 0 || scalar.value == 0xFFFD || Self.isControl(scalar) { continue }
            if Self.isWhitespace(scalar) {
                text.append(" ")
            } else if splitCJK && Self.isCJKIdeograph(scalar) {
                text.append(" ")
                text.append(scalar)
                text.append(" ")
            } else {
                text.append(scalar)
            }
        }
        if stripAccents {
            var string = String.UnicodeScalarView()
            string.append(contentsOf: text)
            text = String(string)._nfd.filter { $0.properties.generalCategory != .nonspacingMark }
        }
        if lowercase {
            text = text.flatMap { scalar -> [Unicode.Scalar] in
                scalar.isASCII ? [Unicode.Scalar(scalar.lowercasedASCII)]
                               : Array(scalar.properties.lowercaseMapping.unicodeScalars)
            }
        }
        return text
    }

    /// Tab, newline and carriage return count as whitespace; any other Cc, Cf, Co or Cs character
    /// is dropped. Unassigned code points (Cn) are kept, as the reference keeps them (they become
    /// `[UNK]`).
    static func isControl(_ scalar: Unicode.Scalar) -> Bool {
        if scalar == "\t" || scalar == "\n" || scalar == "\r" { return false }
        switch scalar.properties.generalCategory {
        case .control, .format, .privateUse, .surrogate: return true
        default: return false
        }
    }

    static func isWhitespace(_ scalar: Unicode.Scalar) -> Bool {
        scalar == "\t" || scalar == "\n" || scalar == "\r" || scalar.properties.isWhitespace
    }

    /// The CJK Unified Ideographs blocks and extensions A–E plus the compatibility ideographs,
    /// the ranges BERT's tokenizer splits one per token (not Hangul, kana or CJK punctuation).
    static func isCJKIdeograph(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x4E00...0x9FFF, 0x3400...0x4DBF, 0x20000...0x2A6DF, 0x2A700...0x2B73F, 0x2B740...0x2B81F,
             0x2B920...0x2CEAF, 0xF900...0xFAFF, 0x2F800...0x2FA1F:
            return true
        default:
            return false
        }
    }

    static func isPunctuation(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 33...47, 58...64, 91...96, 123...126: return true
        default: break
        }
        switch scalar.properties.generalCategory {
        case .connectorPunctuation, .dashPunctuation, .openPunctuation, .closePunctuation,
             .initialPunctuation, .finalPunctuation, .otherPunctuation:
            return true
        default:
            return false
        }
    }

    // MARK: - 5. words

    /// Splits at whitespace and isolates every punctuation character.
    private func words(_ text: [Unicode.Scalar]) -> [ArraySlice<Unicode.Scalar>] {
        var words: [ArraySlice<Unicode.Scalar>] = []
        var start = 0
        for (i, scalar) in text.enumerated() {
            if Self.isWhitespace(scalar) {
                if start < i { words.append(text[start..<i]) }
                start = i + 1
            } else if Self.isPunctuation(scalar) {
                if start < i { words.append(text[start..<i]) }
                words.append(text[i..<i + 1])
                start = i + 1
            }
        }
        if start < text.count { words.append(text[start..<text.count]) }
        return words
    }

    // MARK: - 6. WordPiece

    private func appendWordPieces(of word: ArraySlice<Unicode.Scalar>, to result: inout [Int32]) {
        if word.count > maxCharactersPerWord {
            result.append(unknown)
            return
        }
        var pieces: [Int32] = []
        var start = word.startIndex
        while start < word.endIndex {
            var end = word.endIndex
            var found: Int32?
            while start < end {
                var piece = start > word.startIndex ? "##" : ""
                piece.unicodeScalars.append(contentsOf: word[start..<end])
                if let id = ids[piece] {
                    found = id
                    break
                }
                end -= 1
            }
            guard let found else {
                result.append(unknown)
                return
            }
            pieces.append(found)
            start = end
        }
        result.append(contentsOf: pieces)
    }
}

private extension Unicode.Scalar {
    /// The lower-case form of an ASCII scalar as a byte.
    var lowercasedASCII: UInt8 {
        let byte = UInt8(value)
        return byte >= 65 && byte <= 90 ? byte + 32 : byte
    }
}
