/// A character-level tokenizer over Unicode scalars.
///
/// Each Unicode scalar is one token, so a Chinese character is exactly one token and any text
/// round-trips scalar by scalar (emoji sequences with joiners become several tokens). Ids 0…3
/// are the special tokens PAD, BOS, EOS and UNK; the corpus' distinct scalars follow in
/// ascending scalar order, so the same corpus always gives the same vocabulary.
///
/// A character missing from the vocabulary whose width variant is in it encodes as that variant
/// (see `widthVariant(of:)`): ASCII `?` becomes `？` for a vocabulary that has only `？`, and the
/// other way round, so `你吃了吗?` and `你吃了吗？` both reach any model. Decoding gives the
/// vocabulary's form. Other missing characters encode to `unk` (they cannot be decoded back);
/// `unknownScalars(in:)` lists them so a caller can warn.
///
///     let tokenizer = try CharTokenizer(corpus: "你吃了吗？吃了！")
///     let ids = tokenizer.encode("吃了吗")          // [id(吃), id(了), id(吗)]
///     tokenizer.decode(ids)                       // "吃了吗"
public struct CharTokenizer: Equatable, Sendable {
    public static let pad: Int32 = 0
    public static let bos: Int32 = 1
    public static let eos: Int32 = 2
    public static let unk: Int32 = 3
    /// Number of special tokens before the first character.
    public static let specialCount = 4
    /// How special tokens are written by `decode(_:showSpecial:)`.
    public static let specialNames = ["<pad>", "<bos>", "<eos>", "<unk>"]

    /// The characters, in id order: `characters[i]` has id `i + specialCount`.
    public let characters: [Unicode.Scalar]
    /// The id of every character, plus the width variant of each character whose variant is not
    /// itself in the vocabulary (mapped to that character's id).
    private let ids: [Unicode.Scalar: Int32]

    /// Vocabulary size including the special tokens.
    public var vocabularySize: Int { characters.count + Self.specialCount }

    /// Builds the vocabulary from the distinct scalars of `corpus`. Throws for an empty corpus.
    public init(corpus: String) throws {
        let distinct = Set(corpus.unicodeScalars)
        guard !distinct.isEmpty else { throw AttentionError.invalid("tokenizer: the corpus is empty") }
        try self.init(characters: distinct.sorted { $0.value < $1.value })
    }

    /// Restores a tokenizer from its character list (as saved with a model). Throws when a
    /// character appears twice.
    public init(characters: [Unicode.Scalar]) throws {
        var ids: [Unicode.Scalar: Int32] = [:]
        for (index, scalar) in characters.enumerated() {
            guard ids.updateValue(Int32(index + Self.specialCount), forKey: scalar) == nil else {
                throw AttentionError(.format, "tokenizer: character U+\(String(scalar.value, radix: 16, uppercase: true)) appears twice in the vocabulary")
            }
        }
        // Width variants pair up one to one, so each alias names exactly one character.
        for (index, scalar) in characters.enumerated() {
            if let variant = Self.widthVariant(of: scalar), ids[variant] == nil {
                ids[variant] = Int32(index + Self.specialCount)
            }
        }
        self.characters = characters
        self.ids = ids
    }

    /// The other-width form of `scalar`, or nil when it has none: the full-width forms
    /// U+FF01…U+FF5E (`！`…`～`, letters and digits included) and ASCII U+0021…U+007E, the
    /// ideographic space U+3000 and the space, and the half-width CJK punctuation U+FF61…U+FF64
    /// (`｡｢｣､`) and `。「」、`. These are the Unicode `<wide>`/`<narrow>` compatibility pairs of
    /// those blocks; the relation is symmetric (`widthVariant(of: widthVariant(of: c)!) == c`).
    public static func widthVariant(of scalar: Unicode.Scalar) -> Unicode.Scalar? {
        let fullWidthOffset: UInt32 = 0xFF01 - 0x21
        let value: UInt32
        switch scalar.value {
        case 0x21...0x7E: value = scalar.value + fullWidthOffset
        case 0xFF01...0xFF5E: value = scalar.value - fullWidthOffset
        case 0x20: value = 0x3000
        case 0x3000: value = 0x20
        case 0xFF61: value = 0x3002
        case 0x3002: value = 0xFF61
        case 0xFF62: value = 0x300C
        case 0x300C: value = 0xFF62
        case 0xFF63: value = 0x300D
        case 0x300D: value = 0xFF63
        case 0xFF64: value = 0x3001
        case 0x3001: value = 0xFF64
        default: return nil
        }
        return Unicode.Scalar(value)
    }

    /// The id of each scalar of `text` (or of its width variant when only that is in the
    /// vocabulary); other scalars outside the vocabulary become `unk`.
    public func encode(_ text: String) -> [Int32] {
        text.unicodeScalars.map { ids[$0] ?? Self.unk }
    }

    /// The id of `scalar` (or of its width variant when only that is in the vocabulary), or nil
    /// when neither is.
    public func id(of scalar: Unicode.Scalar) -> Int32? { ids[scalar] }

    /// Encodes UTF-8 bytes, throwing `AttentionError(.utf8, …)` with the byte offset of the first
    /// invalid sequence.
    public func encode<Bytes: Collection>(utf8 bytes: Bytes) throws -> [Int32]
    where Bytes.Element == UInt8, Bytes.Index == Int {
        encode(try UTF8Validation.decode(bytes))
    }

    /// The distinct scalars of `text` that are not in the vocabulary, not even as their width
    /// variant, in order of appearance.
    public func unknownScalars(in text: String) -> [Unicode.Scalar] {
        var seen = Set<Unicode.Scalar>()
        return text.unicodeScalars.filter { ids[$0] == nil && seen.insert($0).inserted }
    }

    /// Whether `id` names a token of this vocabulary.
    public func contains(_ id: Int32) -> Bool { id >= 0 && Int(id) < vocabularySize }

    /// The text of `tokens`. Special tokens are dropped, or written as `<pad>`, `<bos>`, `<eos>`,
    /// `<unk>` with `showSpecial`. Throws for ids outside the vocabulary.
    public func decode<Tokens: Sequence>(_ tokens: Tokens, showSpecial: Bool = false) throws -> String
    where Tokens.Element == Int32 {
        var text = String.UnicodeScalarView()
        for id in tokens {
            guard contains(id) else {
                throw AttentionError.invalid("tokenizer: token id \(id) is outside the vocabulary of \(vocabularySize)")
            }
            if id < Int32(Self.specialCount) {
                if showSpecial { text.append(contentsOf: Self.specialNames[Int(id)].unicodeScalars) }
            } else {
                text.append(characters[Int(id) - Self.specialCount])
            }
        }
        return String(text)
    }

    public static func == (lhs: CharTokenizer, rhs: CharTokenizer) -> Bool {
        lhs.characters == rhs.characters
    }
}
