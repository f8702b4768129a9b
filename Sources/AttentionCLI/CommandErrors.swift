import ArgumentParser
import AttentionEngine
import Foundation

/// Runs a subcommand's body and turns an engine error into one line on stderr and exit code 1:
/// no usage text and no stack trace for mistakes in data or files.
func reportingErrors(_ body: () throws -> Void) throws {
    do {
        try body()
    } catch let error as AttentionError {
        FileHandle.standardError.write(Data("attn: \(escapingControlCharacters(error.message))\n".utf8))
        throw ExitCode.failure
    }
}

/// `text` with control characters (C0, DEL, C1) written as `\u{XX}`, so that a file name or
/// prompt in a message cannot move the cursor, clear the screen or split the line.
func escapingControlCharacters(_ text: String) -> String {
    var escaped = ""
    for scalar in text.unicodeScalars {
        if scalar.value < 0x20 || (0x7F...0x9F).contains(scalar.value) {
            escaped += "\\u{" + String(scalar.value, radix: 16, uppercase: true) + "}"
        } else {
            escaped.unicodeScalars.append(scalar)
        }
    }
    return escaped
}
