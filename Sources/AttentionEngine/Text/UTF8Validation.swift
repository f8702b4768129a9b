/// Strict UTF-8 decoding that reports where the input goes wrong.
///
/// Accepts exactly the well-formed sequences of Unicode 15 §3.9 (Table 3-7): no overlong forms,
/// no surrogates (U+D800…U+DFFF), nothing above U+10FFFF, no truncated sequences.
public enum UTF8Validation {
    /// Decodes `bytes` into a String, or throws `AttentionError(.utf8, …)` naming the byte offset
    /// of the first ill-formed sequence.
    public static func decode<Bytes: Collection>(_ bytes: Bytes) throws -> String
    where Bytes.Element == UInt8, Bytes.Index == Int {
        if let offset = firstInvalidOffset(bytes) {
            let shown = bytes[offset..<min(offset + 4, bytes.endIndex)]
                .map { String($0, radix: 16, uppercase: true) }.joined(separator: " ")
            throw AttentionError(.utf8, "invalid UTF-8 at byte offset \(offset - bytes.startIndex) (bytes \(shown))")
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// The index of the first byte of the first ill-formed sequence, or nil if `bytes` is valid.
    public static func firstInvalidOffset<Bytes: Collection>(_ bytes: Bytes) -> Int?
    where Bytes.Element == UInt8, Bytes.Index == Int {
        var i = bytes.startIndex
        let end = bytes.endIndex
        while i < end {
            let lead = bytes[i]
            if lead < 0x80 { i += 1; continue }
            // Length of the sequence and the allowed range of its second byte.
            let length: Int
            var secondLow: UInt8 = 0x80, secondHigh: UInt8 = 0xBF
            switch lead {
            case 0xC2...0xDF: length = 2
            case 0xE0: length = 3; secondLow = 0xA0
            case 0xE1...0xEC, 0xEE...0xEF: length = 3
            case 0xED: length = 3; secondHigh = 0x9F
            case 0xF0: length = 4; secondLow = 0x90
            case 0xF1...0xF3: length = 4
            case 0xF4: length = 4; secondHigh = 0x8F
            default: return i
            }
            guard end - i >= length else { return i }
            let second = bytes[i + 1]
            guard second >= secondLow && second <= secondHigh else { return i }
            for j in 2..<length where bytes[i + j] & 0xC0 != 0x80 { return i }
            i += length
        }
        return nil
    }
}
