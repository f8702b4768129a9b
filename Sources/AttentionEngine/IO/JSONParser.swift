/// A strict JSON parser (RFC 8259) for headers read from untrusted files.
///
/// Strict means: the input is well-formed UTF-8, the document is exactly one value surrounded by
/// optional whitespace (no trailing garbage), strings hold no raw control characters and no lone
/// UTF-16 surrogates in `\u` escapes, object keys are unique (compared as Swift strings, so two
/// canonically equivalent spellings are duplicates), and nesting is at most `maxDepth`
/// deep (a deep `[[[[…` must not exhaust the stack). Every error is `AttentionError(.format, …)`
/// naming the byte offset in the input.
extension JSONValue {
    /// Parses the JSON document in `bytes`.
    public static func parse(_ bytes: [UInt8], maxDepth: Int = 64) throws -> JSONValue {
        try bytes.withUnsafeBufferPointer { try parse($0, maxDepth: maxDepth) }
    }

    /// Parses the JSON document in `bytes`.
    public static func parse(_ bytes: UnsafeBufferPointer<UInt8>, maxDepth: Int = 64) throws -> JSONValue {
        if let offset = UTF8Validation.firstInvalidOffset(bytes) {
            throw AttentionError(.format, "invalid JSON: invalid UTF-8 at byte \(offset)")
        }
        var parser = JSONParser(bytes: bytes, maxDepth: maxDepth)
        parser.skipWhitespace()
        let value = try parser.parseValue(depth: 1)
        parser.skipWhitespace()
        if parser.position < bytes.count {
            throw parser.error("unexpected \(parser.describeCurrent()) after the document")
        }
        return value
    }
}

/// The recursive-descent state: a cursor over validated UTF-8. Every read checks `position`
/// against `bytes.count` first (the engine is built with -Ounchecked, so an out-of-range read
/// would not trap).
private struct JSONParser {
    let bytes: UnsafeBufferPointer<UInt8>
    let maxDepth: Int
    var position = 0

    init(bytes: UnsafeBufferPointer<UInt8>, maxDepth: Int) {
        self.bytes = bytes
        self.maxDepth = maxDepth
    }

    /// The byte at the cursor, or nil at the end of the input.
    var current: UInt8? { position < bytes.count ? bytes[position] : nil }

    func error(_ what: String, at offset: Int? = nil) -> AttentionError {
        AttentionError(.format, "invalid JSON at byte \(offset ?? position): \(what)")
    }

    /// The byte at the cursor for error messages, or "end of input".
    func describeCurrent() -> String {
        guard let byte = current else { return "end of input" }
        return describe(byte)
    }

    /// "'x'" for printable ASCII, "byte 0xNN" otherwise.
    func describe(_ byte: UInt8) -> String {
        if byte >= 0x20 && byte < 0x7F { return "'\(Character(Unicode.Scalar(byte)))'" }
        return "byte 0x" + String(byte, radix: 16, uppercase: true)
    }

    mutating func skipWhitespace() {
        while let byte = current, byte == 0x20 || byte == 0x0A || byte == 0x0D || byte == 0x09 {
            position += 1
        }
    }

    mutating func expect(_ byte: UInt8, _ what: String) throws {
        guard current == byte else { throw error("expected \(what), found \(describeCurrent())") }
        position += 1
    }

    mutating func parseValue(depth: Int) throws -> JSONValue {
        guard let byte = current else { throw error("expected a value, found end of input") }
        switch byte {
        case UInt8(ascii: "{"): return try parseObject(depth: depth)
        case UInt8(ascii: "["): return try parseArray(depth: depth)
        case UInt8(ascii: "\""): return .string(try parseString())
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return .number(try parseNumber())
        case UInt8(ascii: "t"): try parseLiteral("true"); return .bool(true)
        case UInt8(ascii: "f"): try parseLiteral("false"); return .bool(false)
        case UInt8(ascii: "n"): try parseLiteral("null"); return .null
        default: throw error("expected a value, found \(describeCurrent())")
        }
    }

    func enter(_ depth: Int) throws {
        guard depth <= maxDepth else { throw error("nesting deeper than \(maxDepth) levels") }
    }

    mutating func parseObject(depth: Int) throws -> JSONValue {
        try enter(depth)
        position += 1 // "{"
        var members: [JSONMember] = []
        var keys = Set<String>()
        skipWhitespace()
        if current == UInt8(ascii: "}") {
            position += 1
            return .object(members)
        }
        while true {
            skipWhitespace()
            let keyOffset = position
            guard current == UInt8(ascii: "\"") else {
                throw error("expected a string key, found \(describeCurrent())")
            }
            let key = try parseString()
            guard keys.insert(key).inserted else {
                throw error("duplicate key \"\(key)\"", at: keyOffset)
            }
            skipWhitespace()
            try expect(UInt8(ascii: ":"), "':' after key \"\(key)\"")
            skipWhitespace()
            members.append(JSONMember(key: key, value: try parseValue(depth: depth + 1)))
            skipWhitespace()
            if current == UInt8(ascii: ",") {
                position += 1
                continue
            }
            try expect(UInt8(ascii: "}"), "',' or '}' in an object")
            return .object(members)
        }
    }

    mutating func parseArray(depth: Int) throws -> JSONValue {
        try enter(depth)
        position += 1 // "["
        var elements: [JSONValue] = []
        skipWhitespace()
        if current == UInt8(ascii: "]") {
            position += 1
            return .array(elements)
        }
        while true {
            skipWhitespace()
            elements.append(try parseValue(depth: depth + 1))
            skipWhitespace()
            if current == UInt8(ascii: ",") {
                position += 1
                continue
            }
            try expect(UInt8(ascii: "]"), "',' or ']' in an array")
            return .array(elements)
        }
    }

    mutating func parseLiteral(_ word: StaticString) throws {
        let start = position
        for expected in UnsafeBufferPointer(start: word.utf8Start, count: word.utf8CodeUnitCount) {
            guard current == expected else { throw error("invalid literal (expected \(word))", at: start) }
            position += 1
        }
    }

    /// -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)?, returned as written.
    mutating func parseNumber() throws -> String {
        let start = position
        if current == UInt8(ascii: "-") { position += 1 }
        if current == UInt8(ascii: "0") {
            position += 1
            if let byte = current, isDigit(byte) {
                throw error("leading zero in a number", at: start)
            }
        } else {
            try digits("a digit")
        }
        if current == UInt8(ascii: ".") {
            position += 1
            try digits("a digit after '.'")
        }
        if current == UInt8(ascii: "e") || current == UInt8(ascii: "E") {
            position += 1
            if current == UInt8(ascii: "+") || current == UInt8(ascii: "-") { position += 1 }
            try digits("a digit in the exponent")
        }
        return String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<position]), as: UTF8.self)
    }

    func isDigit(_ byte: UInt8) -> Bool { byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") }

    /// One or more digits.
    mutating func digits(_ what: String) throws {
        guard let byte = current, isDigit(byte) else {
            throw error("expected \(what), found \(describeCurrent())")
        }
        while let byte = current, isDigit(byte) { position += 1 }
    }

    /// A string starting at the opening quote; the cursor ends after the closing quote.
    mutating func parseString() throws -> String {
        let start = position
        position += 1 // opening quote
        // Fast path: no escapes, the bytes are already valid UTF-8.
        let contentStart = position
        while let byte = current, byte != UInt8(ascii: "\""), byte != UInt8(ascii: "\\"), byte >= 0x20 {
            position += 1
        }
        if current == UInt8(ascii: "\"") {
            position += 1
            return String(decoding: UnsafeBufferPointer(rebasing: bytes[contentStart..<position - 1]),
                          as: UTF8.self)
        }
        var utf8 = Array(bytes[contentStart..<position])
        while true {
            guard let byte = current else { throw error("unterminated string", at: start) }
            switch byte {
            case UInt8(ascii: "\""):
                position += 1
                return String(decoding: utf8, as: UTF8.self)
            case UInt8(ascii: "\\"):
                try parseEscape(into: &utf8)
            case 0..<0x20:
                throw error("raw control character 0x\(String(byte, radix: 16, uppercase: true)) in a string (must be escaped)")
            default:
                utf8.append(byte)
                position += 1
            }
        }
    }

    /// One escape sequence starting at the backslash, appended as UTF-8.
    mutating func parseEscape(into utf8: inout [UInt8]) throws {
        let start = position
        position += 1 // backslash
        guard let byte = current else { throw error("unterminated string", at: start) }
        position += 1
        switch byte {
        case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): utf8.append(byte)
        case UInt8(ascii: "b"): utf8.append(0x08)
        case UInt8(ascii: "f"): utf8.append(0x0C)
        case UInt8(ascii: "n"): utf8.append(0x0A)
        case UInt8(ascii: "r"): utf8.append(0x0D)
        case UInt8(ascii: "t"): utf8.append(0x09)
        case UInt8(ascii: "u"):
            var value = try hex4(escapeStart: start)
            switch value {
            case 0xD800...0xDBFF:
                // A high surrogate must be followed by an escaped low surrogate.
                guard position + 1 < bytes.count, bytes[position] == UInt8(ascii: "\\"),
                      bytes[position + 1] == UInt8(ascii: "u") else {
                    throw error("lone high surrogate \\u\(String(value, radix: 16, uppercase: true))", at: start)
                }
                position += 2
                let low = try hex4(escapeStart: start)
                guard (0xDC00...0xDFFF).contains(low) else {
                    throw error("high surrogate \\u\(String(value, radix: 16, uppercase: true)) not followed by a low surrogate", at: start)
                }
                value = 0x10000 + ((value - 0xD800) << 10) + (low - 0xDC00)
            case 0xDC00...0xDFFF:
                throw error("lone low surrogate \\u\(String(value, radix: 16, uppercase: true))", at: start)
            default:
                break
            }
            guard let scalar = Unicode.Scalar(value) else {
                throw error("\\u escape is not a Unicode scalar", at: start)
            }
            UTF8.encode(scalar) { utf8.append($0) }
        default:
            throw error("invalid escape: backslash followed by \(describe(byte))", at: start)
        }
    }

    /// Four hex digits of a \u escape.
    mutating func hex4(escapeStart: Int) throws -> UInt32 {
        var value: UInt32 = 0
        for _ in 0..<4 {
            guard let byte = current else { throw error("truncated \\u escape", at: escapeStart) }
            let digit: UInt8
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = byte - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = byte - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = byte - UInt8(ascii: "A") + 10
            default: throw error("invalid hex digit in \\u escape", at: escapeStart)
            }
            value = value << 4 | UInt32(digit)
            position += 1
        }
        return value
    }
}
