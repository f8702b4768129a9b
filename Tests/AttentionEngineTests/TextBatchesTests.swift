import AttentionEngine
import XCTest

final class TextBatchesTests: XCTestCase {
    func testWindowsAreShiftedByOneAndSplitsDoNotOverlap() throws {
        let tokens = (0..<100).map { Int32($0) }
        let data = try TextBatches(tokens: tokens, contextLength: 7, validationFraction: 0.2)
        XCTAssertEqual(data.trainTokens, Array(tokens[..<80]))
        XCTAssertEqual(data.validationTokens, Array(tokens[80...]))
        var rng = Random(seed: 3)
        for split in [TextBatches.Split.train, .validation] {
            let batch = try data.batch(split, size: 5, using: &rng)
            XCTAssertEqual(batch.inputs.count, 35)
            for row in 0..<5 {
                let inputs = batch.inputs[row * 7..<row * 7 + 7], targets = batch.targets[row * 7..<row * 7 + 7]
                XCTAssertEqual(inputs.map { $0 + 1 }, Array(targets))  // consecutive ids: target = input + 1
                XCTAssertTrue(split == .train ? targets.last! < 80 : inputs.first! >= 80)
            }
        }
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
        XCTAssertEqual(data.trainTokens.count + data.validationTokens.count, DefaultData.corpus.unicodeScalars.count)
        XCTAssertGreaterThan(data.validationTokens.count, 128)
    }
}
