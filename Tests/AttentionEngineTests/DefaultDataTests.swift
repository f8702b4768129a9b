import AttentionEngine
import XCTest

final class DefaultDataTests: XCTestCase {
    func testCorpusIsTensOfKilobytesOfChineseWithoutHeader() throws {
        let corpus = DefaultData.corpus
        XCTAssertGreaterThan(corpus.utf8.count, 20_000)
        XCTAssertTrue(corpus.hasPrefix("道可道，非常道。"))
        XCTAssertFalse(corpus.contains("#"))
        let cjk = corpus.unicodeScalars.filter { (0x4E00...0x9FFF).contains($0.value) }.count
        XCTAssertGreaterThan(Double(cjk) / Double(corpus.unicodeScalars.count), 0.7)
        let tokenizer = try CharTokenizer(corpus: corpus)
        XCTAssertEqual(try tokenizer.decode(tokenizer.encode(corpus)), corpus)
    }

    func testDialoguePairsStartWithTheSeedExamples() {
        let pairs = DefaultData.dialoguePairs
        XCTAssertGreaterThanOrEqual(pairs.count, 40)
        XCTAssertEqual(pairs.first, DialoguePair(question: "你吃了吗？", answer: "吃了。"))
        XCTAssertTrue(pairs.contains(DialoguePair(question: "你吃饭了吗？", answer: "吃完了。")))
        XCTAssertTrue(pairs.contains(DialoguePair(question: "你吃了吗?", answer: "吃了!")), "the seed's exact dialogue")
        XCTAssertTrue(pairs.contains(DialoguePair(question: "恰好了吗？", answer: "好了。")))
    }

    func testTSVParsingSkipsCommentsAndReportsBadLines() throws {
        let pairs = try DialoguePair.parseTSV("# comment\n\n你好\t你好！\r\n谢谢\t不客气\n")
        XCTAssertEqual(pairs, [DialoguePair(question: "你好", answer: "你好！"),
                               DialoguePair(question: "谢谢", answer: "不客气")])
        let bad: [(String, String)] = [
            ("a\tb\nno tab here\n", "line 2"),
            ("a\tb\n\n\tempty question\n", "line 3"),
            ("a\tb\tc\n", "line 1"),
            ("# only a comment\n", "no pairs"),
        ]
        for (text, expected) in bad {
            XCTAssertThrowsError(try DialoguePair.parseTSV(text)) { error in
                let error = error as? AttentionError
                XCTAssertEqual(error?.kind, .format)
                XCTAssertTrue(error?.message.contains(expected) ?? false, error?.message ?? "")
            }
        }
    }
}
