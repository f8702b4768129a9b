import AttentionEngine
import XCTest

/// The one escaper of error messages (C ABI and CLI): control characters become `\u{XX}`,
/// everything else, Chinese text and emoji included, is kept as it is.
final class ControlCharacterEscapingTests: XCTestCase {
    func testControlCharactersAreEscapedAndOtherTextKept() {
        XCTAssertEqual(escapingControlCharacters("a\u{0}b\u{1B}[2J\r\n\u{7F}"), #"a\u{0}b\u{1B}[2J\u{D}\u{A}\u{7F}"#)
        XCTAssertEqual(escapingControlCharacters("\u{80}x\u{9F}"), #"\u{80}x\u{9F}"#)
        XCTAssertEqual(escapingControlCharacters("道可道 ~ é😀\u{A0}"), "道可道 ~ é😀\u{A0}")
        XCTAssertEqual(escapingControlCharacters(""), "")
        let every = String(String.UnicodeScalarView((0...0x9F).compactMap(Unicode.Scalar.init)))
        let escaped = escapingControlCharacters(every)
        XCTAssertFalse(escaped.unicodeScalars.contains { $0.value < 0x20 || (0x7F...0x9F).contains($0.value) })
        XCTAssertEqual(escaped.components(separatedBy: "\\u{").count - 1, 0x20 + 0x21)
    }
}
