import AttentionEngine
import XCTest

final class CharTokenizerTests: XCTestCase {
    let mixed = "你吃了吗？Yes, I ate 🍜 at 12:30 — 吃完了。👨‍👩‍👧 e\u{301} \t\n"

    func testRoundTripOfMixedChineseAsciiEmoji() throws {
        let tokenizer = try CharTokenizer(corpus: mixed)
        let ids = tokenizer.encode(mixed)
        XCTAssertEqual(ids.count, mixed.unicodeScalars.count, "one token per scalar")
        XCTAssertFalse(ids.contains(CharTokenizer.unk))
        XCTAssertEqual(try tokenizer.decode(ids), mixed)
        // The family emoji is 5 scalars (3 people joined by 2 ZWJ) and survives intact.
        XCTAssertTrue(try tokenizer.decode(ids).contains("👨‍👩‍👧"))
    }

    func testVocabularyIsSortedAndDeterministic() throws {
        let a = try CharTokenizer(corpus: "吃了吗你")
        let b = try CharTokenizer(corpus: "你吗了吃吃")
        XCTAssertEqual(a, b)
        XCTAssertEqual(a.vocabularySize, 4 + CharTokenizer.specialCount)
        XCTAssertEqual(a.characters.map(\.value), a.characters.map(\.value).sorted())
        XCTAssertEqual(a.encode("了你吃吗"), [4, 5, 6, 7]) // U+4E86 < U+4F60 < U+5403 < U+5417
    }

    func testUnknownCharactersBecomeUnk() throws {
        let tokenizer = try CharTokenizer(corpus: "吃了")
        XCTAssertEqual(tokenizer.encode("吃饭了"), [tokenizer.encode("吃")[0], CharTokenizer.unk, tokenizer.encode("了")[0]])
        XCTAssertEqual(tokenizer.unknownScalars(in: "吃饭饭了x"), ["饭", "x"])
        XCTAssertEqual(try tokenizer.decode(tokenizer.encode("吃饭"), showSpecial: true), "吃<unk>")
    }

    func testAsciiPunctuationFoldsToTheFullWidthFormOfTheVocabulary() throws {
        let tokenizer = try CharTokenizer(corpus: "你吃了吗？吃了！。，")
        XCTAssertEqual(tokenizer.encode("你吃了吗?"), tokenizer.encode("你吃了吗？"))
        XCTAssertEqual(tokenizer.encode("吃了!,"), tokenizer.encode("吃了！，"))
        XCTAssertFalse(tokenizer.encode("你吃了吗?吃了!").contains(CharTokenizer.unk))
        XCTAssertEqual(tokenizer.unknownScalars(in: "你吃了吗?吃了!"), [])
        XCTAssertEqual(try tokenizer.decode(tokenizer.encode("吃了!")), "吃了！", "decodes to the vocabulary's form")
        XCTAssertEqual(tokenizer.vocabularySize, 8 + CharTokenizer.specialCount, "aliases add no ids")
        // Half-width CJK punctuation folds to the ideographic form.
        XCTAssertEqual(tokenizer.encode("吃了\u{FF61}"), tokenizer.encode("吃了。"))
    }

    func testFullWidthPunctuationFoldsToTheAsciiFormOfTheVocabulary() throws {
        let tokenizer = try CharTokenizer(corpus: "你吃了吗?吃了! ")
        XCTAssertEqual(tokenizer.encode("你吃了吗？"), tokenizer.encode("你吃了吗?"))
        XCTAssertEqual(tokenizer.encode("吃了！\u{3000}"), tokenizer.encode("吃了! "))
        XCTAssertEqual(tokenizer.unknownScalars(in: "你吃了吗？吃了！"), [])
        XCTAssertEqual(try tokenizer.decode(tokenizer.encode("吃了！")), "吃了!")
    }

    func testFullWidthLettersAndDigitsFoldBothWays() throws {
        let ascii = try CharTokenizer(corpus: "AZaz09")
        XCTAssertEqual(ascii.encode("ＡＺａｚ０９"), ascii.encode("AZaz09"))
        let wide = try CharTokenizer(corpus: "ＡＺａｚ０９")
        XCTAssertEqual(wide.encode("AZaz09"), wide.encode("ＡＺａｚ０９"))
        XCTAssertFalse(wide.encode("AZaz09").contains(CharTokenizer.unk))
    }

    func testAVocabularyWithBothFormsKeepsThemApart() throws {
        let tokenizer = try CharTokenizer(corpus: "吗?？")
        XCTAssertNotEqual(tokenizer.encode("?"), tokenizer.encode("？"))
        XCTAssertEqual(try tokenizer.decode(tokenizer.encode("吗?吗？")), "吗?吗？")
    }

    func testCharactersWithoutAWidthVariantAreUnchanged() throws {
        XCTAssertNil(CharTokenizer.widthVariant(of: "你"))
        XCTAssertNil(CharTokenizer.widthVariant(of: "\n"))
        XCTAssertNil(CharTokenizer.widthVariant(of: "\u{7F}"))
        XCTAssertNil(CharTokenizer.widthVariant(of: "\u{FF5F}"))
        XCTAssertNil(CharTokenizer.widthVariant(of: "😀"))
        for value in Array(0x20...0x7E) + Array(0xFF01...0xFF5E) + [0x3000, 0x3001, 0x3002, 0x300C, 0x300D] + Array(0xFF61...0xFF64) {
            let scalar = Unicode.Scalar(UInt32(value))!
            let variant = try XCTUnwrap(CharTokenizer.widthVariant(of: scalar), "U+\(String(value, radix: 16))")
            XCTAssertEqual(CharTokenizer.widthVariant(of: variant), scalar, "the relation is symmetric")
        }
        let tokenizer = try CharTokenizer(corpus: "吃了？")
        XCTAssertEqual(tokenizer.encode("饭x\n"), [CharTokenizer.unk, CharTokenizer.unk, CharTokenizer.unk])
        XCTAssertEqual(tokenizer.unknownScalars(in: "吃饭x?"), ["饭", "x"])
    }

    func testTheSeedsDialogueEncodesWithTheDefaultDialogueTokenizer() throws {
        let pairs = DefaultData.dialoguePairs
        let tokenizer = try CharTokenizer(corpus: pairs.map { $0.question + $0.answer }.joined())
        for question in ["你吃了吗?", "你吃了吗？"] {
            XCTAssertEqual(tokenizer.unknownScalars(in: question), [], question)
            XCTAssertFalse(tokenizer.encode(question).contains(CharTokenizer.unk), question)
        }
        XCTAssertEqual(try tokenizer.decode(tokenizer.encode("你吃了吗?")), "你吃了吗?", "the seed's form is in the vocabulary")
    }

    func testSpecialTokensAndBadIds() throws {
        let tokenizer = try CharTokenizer(corpus: "ab")
        let ids: [Int32] = [CharTokenizer.bos] + tokenizer.encode("ab") + [CharTokenizer.eos, CharTokenizer.pad]
        XCTAssertEqual(try tokenizer.decode(ids), "ab")
        XCTAssertEqual(try tokenizer.decode(ids, showSpecial: true), "<bos>ab<eos><pad>")
        XCTAssertThrowsError(try tokenizer.decode([Int32(tokenizer.vocabularySize)]))
        XCTAssertThrowsError(try tokenizer.decode([-1]))
    }

    func testEmptyCorpusAndDuplicateVocabularyAreErrors() {
        XCTAssertThrowsError(try CharTokenizer(corpus: ""))
        XCTAssertThrowsError(try CharTokenizer(characters: ["a", "b", "a"])) { error in
            XCTAssertEqual((error as? AttentionError)?.kind, .format)
        }
    }

    func testInvalidUTF8ReportsTheByteOffset() throws {
        let tokenizer = try CharTokenizer(corpus: "你好")
        let cases: [([UInt8], Int)] = [
            (Array("你".utf8) + [0xFF] + Array("好".utf8), 3),       // invalid lead byte
            (Array("ab".utf8) + [0xE4, 0xBD], 2),                  // truncated 3-byte sequence
            ([0x41, 0xC0, 0x80], 1),                               // overlong NUL
            ([0xED, 0xA0, 0x80], 0),                               // UTF-16 surrogate
            ([0xF4, 0x90, 0x80, 0x80], 0),                         // above U+10FFFF
            (Array("你好".utf8) + [0x80], 6),                       // stray continuation byte
        ]
        for (bytes, offset) in cases {
            XCTAssertEqual(UTF8Validation.firstInvalidOffset(bytes), offset, "\(bytes)")
            XCTAssertThrowsError(try tokenizer.encode(utf8: bytes)) { error in
                let error = error as? AttentionError
                XCTAssertEqual(error?.kind, .utf8)
                XCTAssertTrue(error?.message.contains("byte offset \(offset)") ?? false, error?.message ?? "")
            }
        }
        XCTAssertEqual(try tokenizer.encode(utf8: Array("你好".utf8)), tokenizer.encode("你好"))
        XCTAssertNil(UTF8Validation.firstInvalidOffset(Array("🍜 ok 吃".utf8)))
    }
}
