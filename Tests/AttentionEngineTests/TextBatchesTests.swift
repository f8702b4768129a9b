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
