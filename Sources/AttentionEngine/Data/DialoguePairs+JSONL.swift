extension DialoguePair {
    /// Parses JSON Lines: one object `{"question": "…", "answer": "…"}` a line (other members are
    /// ignored). Blank lines are skipped. Throws `AttentionError(.format, …)` naming the 1-based
    /// line number for a line that is not such an object or has an empty side, and for input
    /// without any pair.
    ///
    ///     {"question": "你吃了吗？", "answer": "吃了。"}
    public static func parseJSONL(_ text: String) throws -> [DialoguePair] {
        var pairs: [DialoguePair] = []
        var lineNumber = 0
        for line in text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline) {
            lineNumber += 1
            if line.allSatisfy(\.isWhitespace) { continue }
            let value: JSONValue
            do {
                value = try JSONValue.parse(Array(line.utf8))
            } catch let error as AttentionError {
                throw AttentionError(.format, "dialogue pairs, line \(lineNumber): \(error.message)")
            }
            guard case .object = value else {
                throw AttentionError(.format, "dialogue pairs, line \(lineNumber): expected an object, found \(value.kindDescription)")
            }
            var sides: [String] = []
            for key in ["question", "answer"] {
                guard case .string(let side)? = value[key] else {
                    throw AttentionError(.format, "dialogue pairs, line \(lineNumber): '\(key)' is missing or not a string")
                }
                guard !side.isEmpty else {
                    throw AttentionError(.format, "dialogue pairs, line \(lineNumber): the \(key) is empty")
                }
                sides.append(side)
            }
            pairs.append(DialoguePair(question: sides[0], answer: sides[1]))
        }
        guard !pairs.isEmpty else { throw AttentionError(.format, "dialogue pairs: no pairs found") }
        return pairs
    }
}
