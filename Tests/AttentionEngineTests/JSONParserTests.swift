import AttentionEngine
import XCTest

/// The strict JSON parser: accepted documents parse to the expected values, every rejected one
/// is an `AttentionError(.format, …)` naming the byte offset.
final class JSONParserTests: XCTestCase {
    func parse(_ text: String) throws -> JSONValue { try JSONValue.parse(Array(text.utf8)) }

    func assertRejected(_ bytes: [UInt8], _ fragment: String, maxDepth: Int = 64,
                        file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertThrowsError(try JSONValue.parse(bytes, maxDepth: maxDepth), file: file, line: line) { error in
            XCTAssertEqual((error as? AttentionError)?.kind, .format, file: file, line: line)
            XCTAssertTrue("\(error)".contains(fragment), "'\(error)' lacks '\(fragment)'", file: file, line: line)
        }
    }

    func assertRejected(_ text: String, _ fragment: String, maxDepth: Int = 64,
                        file: StaticString = #filePath, line: UInt = #line) {
        assertRejected(Array(text.utf8), fragment, maxDepth: maxDepth, file: file, line: line)
    }

    func testValuesOfEveryKind() throws {
        let value = try parse(" \t\r\n{\"a\": [1, -2.5e+3, 0, -0, 18446744073709551616], \"b\": {\"c\": null, \"d\": true, \"e\": false}, \"f\": \"x\"} \n  ")
        XCTAssertEqual(value, .object([
            JSONMember(key: "a", value: .array([.number("1"), .number("-2.5e+3"), .number("0"), .number("-0"),
                                                .number("18446744073709551616")])),
            JSONMember(key: "b", value: .object([
                JSONMember(key: "c", value: .null), JSONMember(key: "d", value: .bool(true)),
                JSONMember(key: "e", value: .bool(false)),
            ])),
            JSONMember(key: "f", value: .string("x")),
        ]))
        XCTAssertEqual(value["f"], .string("x"))
        XCTAssertNil(value["missing"])
        XCTAssertEqual(try parse("[]"), .array([]))
        XCTAssertEqual(try parse("{}"), .object([]))
        XCTAssertEqual(try parse("7"), .number("7"))
    }

    func testStringEscapesAndSurrogatePairs() throws {
        XCTAssertEqual(try parse(#""\"\\\/\b\f\n\r\t""#), .string("\"\\/\u{8}\u{C}\n\r\t"))
        XCTAssertEqual(try parse(#""\u0041\u00e9\u4F60\u0000""#), .string("Aé你\u{0}"))
        XCTAssertEqual(try parse(#""\uD83D\uDE00 \ud834\udd1e""#), .string("😀 𝄞"), "surrogate pairs, either case")
        XCTAssertEqual(try parse("\"你好 🍜\""), .string("你好 🍜"), "raw UTF-8 passes through")
        XCTAssertEqual(try parse(#""a\nb你""#), .string("a\nb你"), "escapes mixed with raw UTF-8")
    }

    func testRejectsLoneSurrogatesAndBadEscapes() {
        assertRejected(#""\uD83D""#, "byte 1: lone high surrogate \\uD83D")
        assertRejected(#""\uD83Dx""#, "lone high surrogate")
        assertRejected(#""\uD83D\n""#, "lone high surrogate")
        assertRejected(#""\uD83D\uD83D""#, "not followed by a low surrogate")
        assertRejected(#""\uDE00""#, "lone low surrogate \\uDE00")
        assertRejected(#""\u00G0""#, "invalid hex digit")
        assertRejected(#""\u00"#, "truncated \\u escape")
        assertRejected(#""\x""#, "invalid escape: backslash followed by 'x'")
        assertRejected(#""\"#, "unterminated string")
        assertRejected(#""abc"#, "byte 0: unterminated string")
        assertRejected("\"a\tb\"", "byte 2: raw control character 0x9")
    }

    func testRejectsInvalidUTF8() {
        assertRejected([0x22, 0x61, 0xC0, 0x80, 0x22], "invalid UTF-8 at byte 2")      // overlong NUL
        assertRejected([0x22, 0xED, 0xA0, 0x80, 0x22], "invalid UTF-8 at byte 1")      // encoded surrogate
        assertRejected([0x7B, 0x7D, 0xFF], "invalid UTF-8 at byte 2")
    }

    func testNumberGrammar() throws {
        for good in ["0", "-0", "12", "-12", "0.5", "1e9", "1E+9", "1e-9", "-1.25e10"] {
            XCTAssertEqual(try parse(good), .number(good))
        }
        assertRejected("01", "leading zero")
        assertRejected("-", "expected a digit")
        assertRejected("1.", "expected a digit after '.'")
        assertRejected(".5", "expected a value")
        assertRejected("1e", "expected a digit in the exponent")
        assertRejected("+1", "expected a value")
        assertRejected("0x10", "byte 1: unexpected 'x' after the document")
        assertRejected("NaN", "expected a value")
        assertRejected("Infinity", "expected a value")
    }

    func testRejectsTrailingGarbageAndStructuralErrors() {
        assertRejected("", "byte 0: expected a value, found end of input")
        assertRejected("   ", "byte 3: expected a value")
        assertRejected("{} {}", "byte 3: unexpected '{' after the document")
        assertRejected("[1] x", "unexpected 'x'")
        assertRejected("{}\u{0}", "unexpected byte 0x0")
        assertRejected("[1,]", "expected a value")
        assertRejected("[1 2]", "expected ',' or ']'")
        assertRejected(#"{"a" 1}"#, "expected ':' after key \"a\"")
        assertRejected(#"{"a":1,}"#, "expected a string key")
        assertRejected(#"{a:1}"#, "expected a string key")
        assertRejected(#"{"a":1"#, "expected ',' or '}'")
        assertRejected("nul", "invalid literal (expected null)")
        assertRejected("trUe", "invalid literal (expected true)")
    }

    func testRejectsDuplicateKeysAtTheirOffset() {
        assertRejected(#"{"a":1,"b":2,"a":3}"#, "byte 13: duplicate key \"a\"")
        assertRejected(#"{"x":{"a":1,"a":1}}"#, "duplicate key \"a\"")
        // Keys compare as Swift strings: canonically equivalent spellings (precomposed é and
        // e + combining acute) are the same key, so they cannot become two tensor names that a
        // lookup by name could not tell apart.
        assertRejected("{\"\u{E9}\":1,\"e\u{301}\":2}", "duplicate key")
        // The same key at different levels is fine.
        XCTAssertNoThrow(try parse(#"{"a":{"a":{"a":1}}}"#))
    }

    func testDepthLimit() throws {
        XCTAssertNoThrow(try JSONValue.parse(Array((String(repeating: "[", count: 64) + String(repeating: "]", count: 64)).utf8)))
        assertRejected(String(repeating: "[", count: 65) + String(repeating: "]", count: 65), "nesting deeper than 64 levels")
        assertRejected(#"{"a":{"b":{}}}"#, "byte 10: nesting deeper than 2 levels", maxDepth: 2)
        // Far beyond the limit is still a clean error, not a stack overflow.
        assertRejected(String(repeating: "[", count: 1_000_000), "nesting deeper than")
        assertRejected(String(repeating: #"{"a":"#, count: 100_000), "nesting deeper than")
    }
}
