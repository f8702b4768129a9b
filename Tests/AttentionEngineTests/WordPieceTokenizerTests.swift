import AttentionEngine
import XCTest

/// BERT's WordPiece tokenizer, against the reference and by construction.
///
/// Fixtures/wordpiece_ids.json comes from Fixtures/make_wordpiece_fixture.py: the ids the
/// tokenizer of sentence-transformers (Hugging Face's fast BertTokenizer) gives a corpus of
/// English, Chinese, mixed scripts, accents, punctuation, emoji, digits, control characters,
/// literal special tokens, very long words and texts past the 256-token limit. Ours must equal
/// them exactly.
final class WordPieceTokenizerTests: XCTestCase {
    func testMatchesTheReferenceTokenizerOnTheFixtureCorpus() throws {
        let encoder = try SentenceEncoder(folder: try miniLMFolder())
        let bytes = try XCTUnwrap(readFileBytes(fixturesFolder + "/wordpiece_ids.json"))
        let document = try JSONValue.parse(bytes)
        guard case .array(let cases)? = document["cases"] else { return XCTFail("no cases in the fixture") }
        XCTAssertGreaterThanOrEqual(cases.count, 50)
        XCTAssertEqual(document["max_seq_length"], .number(String(encoder.maxLength)))
        var mismatches = 0
        for item in cases {
            guard case .string(let text)? = item["text"], case .array(let ids)? = item["ids"] else {
                return XCTFail("malformed case \(item)")
            }
            let expected = ids.compactMap { value -> Int32? in
                if case .number(let literal) = value { return Int32(literal) }
                return nil
            }
            let actual = encoder.tokenize(text)
            if actual != expected {
                mismatches += 1
                XCTFail("""
                    \(text.debugDescription):
                      ours      \(encoder.tokenizer.tokens(actual))
                      reference \(encoder.tokenizer.tokens(expected))
                    """)
            }
        }
        XCTAssertEqual(mismatches, 0)
    }

    private func tokenizer(lowercase: Bool = true, stripAccents: Bool? = nil) throws -> WordPieceTokenizer {
        try WordPieceTokenizer(vocabulary: ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "un", "##aff", "##able",
                                            "aff", "able", "cafe", "café", "你", "!", ",", "a", "##a", "x", "hello"],
                               lowercase: lowercase, stripAccents: stripAccents)
    }

    func testGreedyLongestMatchWithContinuationPieces() throws {
        let t = try tokenizer()
        XCTAssertEqual(t.tokens(t.tokenIds("unaffable")), ["un", "##aff", "##able"])
        XCTAssertEqual(t.tokens(t.tokenIds("UnAffAble")), ["un", "##aff", "##able"])
        // "affx" has no split ("##x" is not in the vocabulary): the whole word is [UNK].
        XCTAssertEqual(t.tokens(t.tokenIds("affx able")), ["[UNK]", "able"])
    }

    func testPunctuationCJKAndWhitespaceSplitting() throws {
        let t = try tokenizer()
        XCTAssertEqual(t.tokens(t.tokenIds("hello,你你!\u{00A0}a\u{200B}a")), ["hello", ",", "你", "你", "!", "a", "##a"])
    }

    func testAccentsFollowLowercaseUnlessConfigured() throws {
        XCTAssertEqual(try tokenizer().tokens(try tokenizer().tokenIds("Café")), ["cafe"])
        let keep = try tokenizer(stripAccents: false)
        XCTAssertEqual(keep.tokens(keep.tokenIds("Café")), ["café"])
        let cased = try tokenizer(lowercase: false)
        XCTAssertEqual(cased.tokens(cased.tokenIds("café Hello")), ["café", "[UNK]"])
    }

    func testWordsOverOneHundredCharactersAreUnknown() throws {
        let t = try tokenizer()
        XCTAssertEqual(t.tokens(t.tokenIds(String(repeating: "a", count: 100))).count, 100)
        XCTAssertEqual(t.tokens(t.tokenIds(String(repeating: "a", count: 101))), ["[UNK]"])
    }

    func testFramingTruncationAndLiteralSpecialTokens() throws {
        let t = try tokenizer()
        XCTAssertEqual(t.tokens(t.encode("", maxLength: 8)), ["[CLS]", "[SEP]"])
        XCTAssertEqual(t.tokens(t.encode("a a a a a", maxLength: 5)), ["[CLS]", "a", "a", "a", "[SEP]"])
        XCTAssertEqual(t.tokens(t.tokenIds("a[MASK]x [mask]")), ["a", "[MASK]", "x", "[UNK]", "[UNK]", "[UNK]"])
    }

    func testMissingSpecialTokenIsAFormatError() {
        assertAttentionError(try WordPieceTokenizer(vocabulary: ["[PAD]", "[UNK]", "[SEP]"]), .format, ["[CLS]"])
    }
}
