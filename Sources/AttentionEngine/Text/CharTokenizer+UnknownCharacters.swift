/// What a character tokenizer does with characters outside its vocabulary (after width
/// folding, see `CharTokenizer.widthVariant(of:)`).
public enum UnknownCharacterPolicy: Sendable {
    /// Read them as `CharTokenizer.unk` and report them (the default of every entry point).
    case readAsUnknown
    /// Refuse the text with an error listing them.
    case refuse
}

/// Text encoded for a model, with what it held outside the vocabulary.
public struct EncodedText: Sendable {
    /// One id per Unicode scalar.
    public let ids: [Int32]
    /// How many scalars were outside the vocabulary (each read as UNK).
    public let unknownCount: Int
    /// The distinct scalars outside the vocabulary, in order of appearance.
    public let unknownCharacters: [Unicode.Scalar]

    /// "2 characters outside the model's vocabulary, read as UNK: 'z', 'q'" (at most 8 listed,
    /// control characters escaped); nil when there were none.
    public var unknownDescription: String? {
        guard unknownCount > 0 else { return nil }
        let noun = unknownCount == 1 ? "character" : "characters"
        return "\(unknownCount) \(noun) outside the model's vocabulary, read as UNK: " + Self.quoted(unknownCharacters)
    }

    /// "'a', 'b'" for at most the first 8 scalars, control characters escaped.
    static func quoted(_ scalars: [Unicode.Scalar]) -> String {
        escapingControlCharacters(scalars.prefix(8).map { "'\($0)'" }.joined(separator: ", "))
    }
}

extension CharTokenizer {
    /// Encodes `text` (called `name` in messages, e.g. "prompt") under `policy`. With `.refuse`,
    /// a character outside the vocabulary throws `AttentionError(.invalidArgument, "the <name>
    /// has characters outside the model's vocabulary: 'z'")`; with `.readAsUnknown` it becomes
    /// UNK and is counted in the result.
    public func encode(_ text: String, unknown policy: UnknownCharacterPolicy, naming name: String) throws -> EncodedText {
        let unknown = unknownScalars(in: text)
        if !unknown.isEmpty, policy == .refuse {
            throw AttentionError.invalid("the \(name) has characters outside the model's vocabulary: "
                + EncodedText.quoted(unknown))
        }
        let ids = encode(text)
        let unknownCount = unknown.isEmpty ? 0 : ids.count { $0 == Self.unk }
        return EncodedText(ids: ids, unknownCount: unknownCount, unknownCharacters: unknown)
    }
}
