import AttentionEngine
import XCTest

final class TextBatchesTests: XCTestCase {
    func testWindowsAreShiftedByOneAndSplitsInterleaveWithoutOverlap() throws {
        let tokens = (0..<100).map { Int32($0) }
        let data = try TextBatches(tokens: tokens, contextLength: 7, validationFraction: 0.2)
        // 20 validation tokens / 8 per window → 2 segments of 50, the last 10 of each validate.
        XCTAssertEqual(data.trainRanges, [0..<40, 50..<90])
        XCTAssertEqual(data.validationRanges, [40..<50, 90..<100])
        var rng = Random(seed: 3)
        var seenValidationPieces = Set<Int>()
        for split in [TextBatches.Split.train, .validation] {
            let batch = try data.batch(split, size: 50, using: &rng)
            XCTAssertEqual(batch.inputs.count, 350)
            for row in 0..<50 {
                let inputs = batch.inputs[row * 7..<row * 7 + 7], targets = batch.targets[row * 7..<row * 7 + 7]
                XCTAssertEqual(inputs.map { $0 + 1 }, Array(targets))  // consecutive ids: target = input + 1
                let ranges = split == .train ? data.trainRanges : data.validationRanges
                let piece = ranges.firstIndex { $0.contains(Int(inputs.first!)) && $0.contains(Int(targets.last!)) }
                XCTAssertNotNil(piece, "window \(inputs.first!) crosses a piece of \(split)")
                if split == .validation, let piece { seenValidationPieces.insert(piece) }
            }
        }
        XCTAssertEqual(seenValidationPieces, [0, 1])
        var a = Random(seed: 9), b = Random(seed: 9)
        XCTAssertEqual(try data.batch(.train, size: 4, using: &a), try data.batch(.train, size: 4, using: &b))
    }

    func testParagraphStartsFollowBlankLines() {
        XCTAssertEqual(TextBatches.paragraphStarts(in: "ab\n\ncd\n\n\nef\ngh"), [4, 9])
        XCTAssertEqual(TextBatches.paragraphStarts(in: "ab\r\n\r\ncd\r\nef"), [6], "CRLF blank lines")
        XCTAssertEqual(TextBatches.paragraphStarts(in: "ab\ncd\n ef\n"), [], "no blank line")
        XCTAssertEqual(TextBatches.paragraphStarts(in: "床前明月光，\n疑是地上霜。\n\n举头望明月，"), [15])
    }

    func testValidationHoldsOutWholeDocuments() throws {
        // 400 poems of 2 lines, each 14 or 18 scalars and a blank line: the 20 validation pieces
        // of the plain split start and end inside poems.
        var text = ""
        for index in 0..<400 {
            let line = String(repeating: index % 2 == 0 ? "山" : "水", count: index % 3 == 0 ? 7 : 5)
            text += (index == 0 ? "" : "\n\n") + line + "，\n" + line + "。"
        }
        let tokenizer = try CharTokenizer(corpus: text)
        let starts = TextBatches.paragraphStarts(in: text)
        XCTAssertEqual(starts.count, 399)
        let data = try TextBatches(text: text, tokenizer: tokenizer, contextLength: 8, validationFraction: 0.2)
        let plain = try TextBatches(tokens: tokenizer.encode(text), contextLength: 8, validationFraction: 0.2)
        XCTAssertNotEqual(data.validationRanges, plain.validationRanges, "the test must exercise snapping")
        XCTAssertGreaterThan(data.validationRanges.count, 1)
        let count = text.unicodeScalars.count
        for range in data.validationRanges + data.trainRanges {
            XCTAssertTrue(range.lowerBound == 0 || starts.contains(range.lowerBound), "\(range) starts inside a poem")
            XCTAssertTrue(range.upperBound == count || starts.contains(range.upperBound), "\(range) ends inside a poem")
        }
        let validated = data.validationRanges.reduce(0) { $0 + $1.count }
        XCTAssertEqual(Double(validated) / Double(count), 0.2, accuracy: 0.1)
        let all = (data.trainRanges + data.validationRanges).sorted { $0.lowerBound < $1.lowerBound }
        for (a, b) in zip(all, all.dropFirst()) { XCTAssertLessThanOrEqual(a.upperBound, b.lowerBound, "disjoint") }
    }

    func testADocumentLongerThanHalfAPieceIsCutAsBefore() throws {
        let tokens = (0..<100).map { Int32($0) }
        let plain = try TextBatches(tokens: tokens, contextLength: 7, validationFraction: 0.2)
        // Pieces of 10 validation tokens: a start 5 or more past a cut is too far to move to.
        let far = try TextBatches(tokens: tokens, contextLength: 7, validationFraction: 0.2, documentStarts: [46, 96])
        XCTAssertEqual(far.validationRanges, plain.validationRanges)
        let near = try TextBatches(tokens: tokens, contextLength: 7, validationFraction: 0.2, documentStarts: [42, 52, 92])
        XCTAssertEqual(near.trainRanges, [0..<42, 52..<92])
        XCTAssertEqual(near.validationRanges, [42..<52, 92..<100])
    }

    func testClearErrors() throws {
        let tokenizer = try CharTokenizer(corpus: "abc")
        XCTAssertThrowsError(try TextBatches(text: "", tokenizer: tokenizer, contextLength: 4)) {
            XCTAssertTrue("\($0)".contains("empty"))
        }
        XCTAssertThrowsError(try TextBatches(text: "abcabc", tokenizer: tokenizer, contextLength: 8)) {
            XCTAssertTrue("\($0)".contains("too short for context length 8"))
        }
        XCTAssertThrowsError(try TextBatches(tokens: [1, 2, 3], contextLength: 0))
        XCTAssertThrowsError(try TextBatches(tokens: [1, 2, 3], contextLength: 1, validationFraction: 1))
        let data = try TextBatches(tokens: [1, 2, 3], contextLength: 2, validationFraction: 0)
        var rng = Random(seed: 1)
        XCTAssertThrowsError(try data.batch(.validation, size: 1, using: &rng))
        XCTAssertThrowsError(try data.batch(.train, size: 0, using: &rng))
        XCTAssertEqual(try data.batch(.train, size: 1, using: &rng).inputs, [1, 2])  // the only window
    }

    func testDefaultCorpusSplits() throws {
        let tokenizer = try CharTokenizer(corpus: DefaultData.corpus)
        let data = try TextBatches(text: DefaultData.corpus, tokenizer: tokenizer, contextLength: 128)
        XCTAssertEqual(data.tokens.count, DefaultData.corpus.unicodeScalars.count)
        let validation = data.validationRanges.reduce(0) { $0 + $1.count }
        XCTAssertEqual(Double(validation) / Double(data.tokens.count), 0.1, accuracy: 0.001)
        XCTAssertEqual(data.validationRanges.count, validation / 129)  // ≈ 7 pieces spread over all three texts
        XCTAssertEqual(data.trainRanges.count, data.validationRanges.count)
    }
}
