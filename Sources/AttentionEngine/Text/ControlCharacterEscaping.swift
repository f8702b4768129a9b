/// `text` with every control character — C0 (U+0000–U+001F), DEL and C1 (U+0080–U+009F) —
/// written as `\u{XX}` (hexadecimal, upper case). Error messages quote file names, prompts and
/// other outside text through it: a NUL would end a C string early, and raw escapes could move
/// a terminal's cursor, clear its screen or split a one-line message. The C ABI's messages and
/// the CLI's both use it.
public func escapingControlCharacters(_ text: String) -> String {
    var escaped = ""
    escaped.unicodeScalars.reserveCapacity(text.unicodeScalars.count)
    for scalar in text.unicodeScalars {
        if scalar.value < 0x20 || (0x7F...0x9F).contains(scalar.value) {
            escaped += "\\u{" + String(scalar.value, radix: 16, uppercase: true) + "}"
        } else {
            escaped.unicodeScalars.append(scalar)
        }
    }
    return escaped
}
