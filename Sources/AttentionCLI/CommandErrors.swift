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
