import AttentionEngine
import XCTest

/// The poem checker of issue 15 on hand-written poems: every rule has a text that follows it and
/// one that breaks it, with the exact counts expected.
final class PoemShapeTests: XCTestCase {
    /// Two regular poems from data/tang-poems.txt: a five-character and a seven-character quatrain.
    let goodPoems = """
        秦川雄帝宅，函谷壮皇居。
        绮殿千寻起，离宫百雉余。

        朝辞白帝彩云间，千里江陵一日还。
        两岸猿声啼不住，轻舟已过万重山。
        """

    func testRegularPoemsPassEveryLine() {
        let report = PoemShape.check(goodPoems)
        XCTAssertEqual(report.poemCount, 2)
        XCTAssertEqual(report.lineCount, 8)
        XCTAssertEqual(report.wellFormedLineCount, 8)
        XCTAssertEqual(report.repeatingLineCount, 0)
        XCTAssertEqual(report.wellFormedFraction, 1)
        XCTAssertTrue(report.passes(wellFormedFraction: 0.8))
    }

    func testLinesAreSplitAtTheirMarksAndNumberedPerPoem() {
        let poems = PoemShape.poems(in: goodPoems)
        XCTAssertEqual(poems.map(\.count), [4, 4])
        XCTAssertEqual(poems[1].map(\.text), ["朝辞白帝彩云间", "千里江陵一日还", "两岸猿声啼不住", "轻舟已过万重山"])
        XCTAssertEqual(poems[1].map(\.index), [0, 1, 2, 3])
        XCTAssertEqual(poems[1].map(\.end), ["，", "。", "，", "。"])
    }

    func testWrongLengthsFail() {
        // Lines of 4 and 6 characters fail, the other four pass.
        let report = PoemShape.check("春风吹柳，花开满树红。\n江水向东流去，明月照高楼。\n白日依山尽，黄河入海流。")
        XCTAssertEqual(report.lineCount, 6)
        XCTAssertEqual(PoemShape.poems(in: "春风吹柳，花开满树红。")[0].map(\.isWellFormed), [false, true])
        XCTAssertEqual(report.wellFormedLineCount, 4) // 花开满树红。 明月照高楼。 白日依山尽， 黄河入海流。
        XCTAssertFalse(report.passes(wellFormedFraction: 0.8))
        XCTAssertTrue(report.passes(wellFormedFraction: 0.6))
    }

    func testMarksMustAlternateFromTheStartOfEachPoem() {
        // 。 where ， belongs and the other way round: none passes.
        XCTAssertEqual(PoemShape.check("白日依山尽。黄河入海流，").wellFormedLineCount, 0)
        // Two 。 in a row: the second couplet's first line is wrong.
        XCTAssertEqual(PoemShape.poems(in: "白日依山尽，黄河入海流。欲穷千里目。更上一层楼。")[0].map(\.isWellFormed),
                       [true, true, false, true])
        // A blank line starts a new poem, whose first line ends with ， again.
        XCTAssertEqual(PoemShape.check("白日依山尽，\n\n黄河入海流，").wellFormedLineCount, 2)
        XCTAssertEqual(PoemShape.check("白日依山尽，\n黄河入海流，").wellFormedLineCount, 1)
        // Other marks end a line but never pass; ASCII , and . are not the corpus's marks.
        XCTAssertEqual(PoemShape.check("白日依山尽？黄河入海流！").lineCount, 2)
        XCTAssertEqual(PoemShape.check("白日依山尽？黄河入海流！").wellFormedLineCount, 0)
        XCTAssertEqual(PoemShape.check("白日依山尽,黄河入海流.").wellFormedLineCount, 0)
    }

    func testALineWithoutAMarkCountsAndFails() {
        let poems = PoemShape.poems(in: "白日依山尽，黄河入海流\n欲穷千里目，更上一层")
        XCTAssertEqual(poems[0].map(\.text), ["白日依山尽", "黄河入海流", "欲穷千里目", "更上一层"])
        XCTAssertEqual(poems[0].map(\.end), ["，", nil, "，", nil])
        XCTAssertEqual(PoemShape.check("白日依山尽，黄河入海流\n欲穷千里目，更上一层").wellFormedLineCount, 2)
    }

    func testTripleRepeatsAreFlaggedAndDoublesAreNot() {
        let report = PoemShape.check("亦亦亦山尽，青青河畔草。\n江水流流流，明月照高楼。")
        XCTAssertEqual(report.repeatingLineCount, 2)
        XCTAssertEqual(report.wellFormedLineCount, 4, "a repeat does not change the shape")
        XCTAssertFalse(report.passes(wellFormedFraction: 0.5), "any repeating line fails the goal")
        XCTAssertEqual(PoemShape.check("青青河畔草，郁郁园中柳。").repeatingLineCount, 0)
        // Three in a row across a mark are in two lines: not a repeat.
        XCTAssertEqual(PoemShape.check("白日依山山，山入海流。").repeatingLineCount, 0)
    }

    func testWhiteSpaceAndLineEndsOfEveryKind() {
        let report = PoemShape.check("  白日依山尽 ， 黄河入海流。  \r\n欲穷千里目，更上一层楼。\r\n\r\n白日依山尽，黄河入海流。")
        XCTAssertEqual(report.poemCount, 2, "\\r\\n\\r\\n is a blank line")
        XCTAssertEqual(report.wellFormedLineCount, 6)
        XCTAssertEqual(report.lineCount, 6)
        for separator in ["\r", "\u{2028}", "\u{85}"] {
            XCTAssertEqual(PoemShape.check("白日依山尽，\(separator)\(separator)黄河入海流，").poemCount, 2, separator.debugDescription)
        }
        // A byte-order mark opening the text is not a character; anywhere else it is one.
        XCTAssertEqual(PoemShape.check("\u{FEFF}白日依山尽，").wellFormedLineCount, 1)
        XCTAssertEqual(PoemShape.check("白日依山尽，\u{FEFF}黄河入海流。").wellFormedLineCount, 1)
        // Space inside a line is a character.
        XCTAssertEqual(PoemShape.check("白日 山尽，").wellFormedLineCount, 1)
        XCTAssertEqual(PoemShape.check("白日 依山尽，").wellFormedLineCount, 0)
    }

    func testTextsWithoutPoems() {
        for text in ["", " ", "\n\n\n", "\r\n \t\r\n", "\u{3000}"] {
            let report = PoemShape.check(text)
            XCTAssertEqual(report, PoemShapeReport(), text.debugDescription)
            XCTAssertEqual(report.wellFormedFraction, 0)
            XCTAssertFalse(report.passes(wellFormedFraction: 0), "no lines is not a poem")
        }
        // Marks alone are empty lines: lines, none well formed.
        let marks = PoemShape.check("，。，。")
        XCTAssertEqual(marks.lineCount, 4)
        XCTAssertEqual(marks.wellFormedLineCount, 0)
    }

    func testCharactersAreUnicodeScalars() {
        // e + combining acute is two scalars (two tokens of a character model); an emoji family
        // is five; a supplementary-plane ideograph is one.
        XCTAssertEqual(PoemShape.poems(in: "e\u{301}bcd，")[0][0].characters.count, 5)
        XCTAssertEqual(PoemShape.check("e\u{301}bcd，").wellFormedLineCount, 1)
        XCTAssertEqual(PoemShape.poems(in: "👨‍👩‍👧，")[0][0].characters.count, 5)
        XCTAssertEqual(PoemShape.check("𠀀𠀁𠀂𠀃𠀄，").wellFormedLineCount, 1)
        // A combining mark after a line's mark starts the next line; nothing crashes on it.
        XCTAssertEqual(PoemShape.check("白日依山尽，\u{301}").lineCount, 2)
        // Control characters and lone replacement characters are ordinary characters.
        XCTAssertEqual(PoemShape.check("\u{0}\u{1}\u{FFFD}\u{7F}\u{200B}，").wellFormedLineCount, 1)
    }

    func testLongTextsAreCheckedInFull() {
        let poem = "白日依山尽，黄河入海流。\n欲穷千里目，更上一层楼。\n\n"
        let report = PoemShape.check(String(repeating: poem, count: 20_000))
        XCTAssertEqual(report.poemCount, 20_000)
        XCTAssertEqual(report.lineCount, 80_000)
        XCTAssertEqual(report.wellFormedLineCount, 80_000)
        // One row of a million characters without a mark is one failing line.
        let long = PoemShape.check(String(repeating: "山", count: 1_000_000))
        XCTAssertEqual(long.lineCount, 1)
        XCTAssertEqual(long.repeatingLineCount, 1)
    }
}
