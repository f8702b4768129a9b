/// Question–answer pairs for training a seq2seq model ("你吃了吗？" → "吃了。").
public struct DialoguePair: Equatable, Sendable {
    public var question: String
    public var answer: String

    public init(question: String, answer: String) {
        self.question = question
        self.answer = answer
    }
}

extension DialoguePair {
    /// Parses tab-separated pairs: one `question<TAB>answer` a line. Blank lines and lines
    /// starting with `#` are skipped; LF and CRLF line ends are both accepted. Throws
    /// `AttentionError(.format, …)` naming the 1-based line number for a line without exactly
    /// one tab or with an empty side, and for input without any pair.
    public static func parseTSV(_ text: String) throws -> [DialoguePair] {
        var pairs: [DialoguePair] = []
        var lineNumber = 0
        // "\r\n" is a single Character in Swift, so it splits as one line break.
        for line in text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline) {
            lineNumber += 1
            if line.allSatisfy(\.isWhitespace) || line.hasPrefix("#") { continue }
            let fields = line.split(separator: "\t", omittingEmptySubsequences: false)
            guard fields.count == 2 else {
                throw AttentionError(.format, "dialogue pairs, line \(lineNumber): expected 'question<TAB>answer', found \(fields.count - 1) tabs")
            }
            guard !fields[0].isEmpty, !fields[1].isEmpty else {
                throw AttentionError(.format, "dialogue pairs, line \(lineNumber): the \(fields[0].isEmpty ? "question" : "answer") is empty")
            }
            pairs.append(DialoguePair(question: String(fields[0]), answer: String(fields[1])))
        }
        guard !pairs.isEmpty else { throw AttentionError(.format, "dialogue pairs: no pairs found") }
        return pairs
    }
}
