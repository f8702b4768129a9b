import AttentionEngine
import Foundation

/// Reading user files and checking output paths before any work starts, so that mistakes give a
/// one-line error instead of a crash or a lost training run.
enum InputFiles {
    /// The UTF-8 text of `path`; invalid UTF-8 is an error naming the byte offset.
    static func text(_ path: String) throws -> String {
        try checkRegularFile(path)
        guard let data = FileManager.default.contents(atPath: path) else {
            throw AttentionError(.io, "cannot read '\(path)'")
        }
        do {
            return try UTF8Validation.decode(Array(data))
        } catch let error as AttentionError {
            throw AttentionError(error.kind, "\(path): \(error.message)")
        }
    }

    /// A training corpus streamed from `path` into token ids (see `CorpusFile` for the
    /// normalisation: BOM dropped, CRLF → LF, NUL refused), with `tokenizer`'s vocabulary when
    /// resuming. Directories, FIFOs and devices are refused before reading.
    static func corpus(_ path: String, tokenizer: CharTokenizer?) throws -> CorpusFile {
        try checkRegularFile(path)
        return try CorpusFile.load(path: path, tokenizer: tokenizer)
    }

    /// Dialogue pairs from a TSV file, or JSONL when the name ends in `.jsonl`.
    static func pairs(_ path: String) throws -> [DialoguePair] {
        let text = try text(path)
        do {
            return path.hasSuffix(".jsonl") ? try DialoguePair.parseJSONL(text) : try DialoguePair.parseTSV(text)
        } catch let error as AttentionError {
            throw AttentionError(error.kind, "\(path): \(error.message)")
        }
    }

    /// Throws unless `path`'s directory exists and can take a new file (the atomic writer puts a
    /// temporary file there before renaming it over `path`).
    static func checkWritable(_ path: String) throws {
        // The text before the last "/" (NSString's deletingLastPathComponent traps on some
        // one-character paths).
        let folder: String
        if let slash = path.lastIndex(of: "/") {
            folder = slash == path.startIndex ? "/" : String(path[..<slash])
        } else {
            folder = "."
        }
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: folder, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw AttentionError(.io, "cannot write '\(path)': the folder '\(folder)' does not exist")
        }
        guard access(folder, W_OK) == 0 else {
            throw AttentionError(.io, "cannot write '\(path)': the folder '\(folder)' is not writable")
        }
        var isFolder: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &isFolder), isFolder.boolValue {
            throw AttentionError(.io, "cannot write '\(path)': it is a folder")
        }
    }

    /// Throws when `path` exists but is not a regular file (after following symlinks): reading a
    /// FIFO or a device would block forever or never end.
    static func checkRegularFile(_ path: String) throws {
        var status = stat()
        // A path that does not exist is left to the reader, whose message names the reason.
        guard stat(path, &status) != 0 || status.st_mode & S_IFMT == S_IFREG else {
            throw AttentionError(.io, "cannot read '\(path)': not a regular file")
        }
    }

    /// A checkpoint, with its path in any error.
    static func checkpoint(_ path: String) throws -> ModelCheckpoint {
        try checkRegularFile(path)
        do {
            return try ModelCheckpoint.load(path: path)
        } catch let error as AttentionError {
            throw AttentionError(error.kind, error.message.contains(path) ? error.message : "\(path): \(error.message)")
        }
    }
}
