/// How poem-shaped a text is, measured the way issue 15 states the goal for a model trained on
/// data/tang-poems.txt: the fraction of lines that are exactly 5 or 7 characters long and end with
/// `，` or `。` in alternation, and the lines that repeat one character three times in a row.
///
/// Reading rules, which make every text (empty, binary-looking, any Unicode) checkable:
/// - A character is a Unicode scalar, as for `CharTokenizer`: one token of a character model. A
///   byte-order mark (U+FEFF) opening the text is not one.
/// - Poems are separated by blank lines (only whitespace); `\n`, `\r\n`, `\r`, U+0085, U+2028 and
///   U+2029 all end a row of text.
/// - A line is the text up to and including a line-ending mark (`，。？！；` or ASCII `,.?!;`), or
///   the end of a row without one; white space around a line is not counted, a row's white space
///   after its last mark is not a line.
/// - Line i of a poem (from 0) is well formed when it has 5 or 7 characters and ends with `，` for
///   even i, `。` for odd i: the couplets of a regular poem.
///
///     let report = PoemShape.check("秦川雄帝宅，函谷壮皇居。\n绮殿千寻起，离宫百雉余。")
///     // report.lineCount == 4, report.wellFormedLineCount == 4, report.repeatingLineCount == 0
package enum PoemShape {
    /// The line lengths of regular Tang poems.
    package static let lineLengths: Set<Int> = [5, 7]
    /// What even-numbered lines end with (the first line of a couplet), then odd-numbered ones.
    package static let couplet: (first: Unicode.Scalar, second: Unicode.Scalar) = ("，", "。")
    /// The marks that end a line: the corpus's full-width ones and their ASCII forms.
    package static let lineEnds: Set<Unicode.Scalar> = ["，", "。", "？", "！", "；", ",", ".", "?", "!", ";"]
    /// Scalars that end a row of text.
    static let rowEnds: Set<Unicode.Scalar> = ["\n", "\r", "\u{0B}", "\u{0C}", "\u{85}", "\u{2028}", "\u{2029}"]

    /// The poems of `text`, each as its lines in order.
    package static func poems(in text: String) -> [[PoemLine]] {
        var poems: [[PoemLine]] = []
        forEachPoem(in: text) { poems.append($0) }
        return poems
    }

    /// The counts over every line of every poem of `text`.
    package static func check(_ text: String) -> PoemShapeReport {
        var report = PoemShapeReport()
        forEachPoem(in: text) { report.add($0) }
        return report
    }

    /// Calls `body` with the lines of each poem of `text` in order. Only one row and one poem are
    /// held at a time, so a large text costs little more memory than its own.
    static func forEachPoem(in text: String, _ body: ([PoemLine]) -> Void) {
        var poem: [PoemLine] = []
        forEachRow(of: text) { row in
            if row.allSatisfy(\.properties.isWhitespace) {
                if !poem.isEmpty { body(poem) }
                poem = []
                return
            }
            var line: [Unicode.Scalar] = []
            for scalar in row {
                if lineEnds.contains(scalar) {
                    poem.append(PoemLine(characters: trimmed(line), end: scalar, index: poem.count))
                    line = []
                } else {
                    line.append(scalar)
                }
            }
            let rest = trimmed(line)
            if !rest.isEmpty { poem.append(PoemLine(characters: rest, end: nil, index: poem.count)) }
        }
        if !poem.isEmpty { body(poem) }
    }

    /// Calls `body` with each row of `text`, split at every row end (`\r\n` counts once, so it
    /// makes no blank row).
    static func forEachRow(of text: String, _ body: ([Unicode.Scalar]) -> Void) {
        var row: [Unicode.Scalar] = [], previous: Unicode.Scalar?, first = true
        for scalar in text.unicodeScalars {
            defer { (previous, first) = (scalar, false) }
            if first && scalar == "\u{FEFF}" { continue }
            if scalar == "\n" && previous == "\r" { continue }
            if rowEnds.contains(scalar) {
                body(row)
                row.removeAll(keepingCapacity: true)
            } else {
                row.append(scalar)
            }
        }
        body(row)
    }

    static func trimmed(_ scalars: [Unicode.Scalar]) -> [Unicode.Scalar] {
        guard let first = scalars.firstIndex(where: { !$0.properties.isWhitespace }),
              let last = scalars.lastIndex(where: { !$0.properties.isWhitespace }) else { return [] }
        return Array(scalars[first...last])
    }
}

/// One line of a poem: its characters (without the end mark and surrounding white space).
package struct PoemLine: Equatable, Sendable {
    package let characters: [Unicode.Scalar]
    /// The mark that ends the line; nil when the row ended without one.
    package let end: Unicode.Scalar?
    /// Position in the poem, from 0.
    package let index: Int

    package var text: String { String(String.UnicodeScalarView(characters)) }

    /// 5 or 7 characters, ended by `，` (even index) or `。` (odd index).
    package var isWellFormed: Bool {
        PoemShape.lineLengths.contains(characters.count)
            && end == (index % 2 == 0 ? PoemShape.couplet.first : PoemShape.couplet.second)
    }

    /// One character three times in a row, as an overfitted or untrained model writes "亦亦亦".
    package var repeatsACharacter: Bool {
        guard characters.count >= 3 else { return false }
        for i in 2..<characters.count where characters[i] == characters[i - 1] && characters[i] == characters[i - 2] {
            return true
        }
        return false
    }
}

/// Counts of `PoemShape.check`.
package struct PoemShapeReport: Equatable, Sendable {
    package var poemCount = 0
    package var lineCount = 0
    /// Lines of 5 or 7 characters that end with `，`/`。` in alternation.
    package var wellFormedLineCount = 0
    /// Lines with one character three times in a row.
    package var repeatingLineCount = 0

    package init() {}

    /// The share of well-formed lines, 0 for a text without lines (nothing poem-shaped in it).
    package var wellFormedFraction: Double {
        lineCount == 0 ? 0 : Double(wellFormedLineCount) / Double(lineCount)
    }

    package mutating func add(_ poem: [PoemLine]) {
        poemCount += 1
        lineCount += poem.count
        wellFormedLineCount += poem.count { $0.isWellFormed }
        repeatingLineCount += poem.count { $0.repeatsACharacter }
    }

    /// The goal of issue 15: at least `fraction` of the lines well formed and none repeating.
    package func passes(wellFormedFraction fraction: Double) -> Bool {
        lineCount > 0 && wellFormedFraction >= fraction && repeatingLineCount == 0
    }
}
