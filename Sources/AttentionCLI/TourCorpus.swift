import AttentionEngine
import Foundation

/// The text parts 3 and 4 of the tour learn: the Tang poems of data/tang-poems.txt, read at run
/// time (the library never embeds them), or the built-in corpus when the file is not found.
struct TourCorpus {
    /// Where the poems are in a checkout of the repository.
    static let relativePath = "data/tang-poems.txt"
    /// Where an installation puts them, under its prefix (next to bin/attn).
    static let installedPath = "share/libattention/tang-poems.txt"

    let text: String
    /// True for poems one per paragraph (the file), false for the built-in corpus.
    let isPoems: Bool
    /// For the reader: which file, or why the built-in corpus.
    let origin: String

    /// `path` when given (an error if it cannot be read); else the first of `candidates()` that
    /// exists; else the built-in corpus.
    static func load(_ path: String?) throws -> TourCorpus {
        if let path {
            return try poems(path, origin: path)
        }
        for candidate in candidates() where FileManager.default.isReadableFile(atPath: candidate) {
            return try poems(candidate, origin: displayPath(candidate))
        }
        return TourCorpus(text: DefaultData.corpus, isPoems: false,
                          origin: "the built-in corpus (\(relativePath) was not found; --corpus gives its place)")
    }

    /// The poems of `path`, which must have line breaks: a poem is sampled from a blank line.
    static func poems(_ path: String, origin: String) throws -> TourCorpus {
        let text = try InputFiles.text(path)
        guard text.contains("\n") else {
            throw AttentionError.invalid("\(path) has no line breaks; the tour needs poems one per paragraph")
        }
        return TourCorpus(text: text, isPoems: true, origin: origin)
    }

    /// In order: the executable's folder and each folder above it (a checkout's .build/…/release/attn
    /// finds data/ at the root; <prefix>/bin/attn finds <prefix>/share/libattention/), then the
    /// current folder.
    static func candidates() -> [String] {
        var folders: [URL] = []
        if let executable = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe") {
            var folder = URL(fileURLWithPath: executable).deletingLastPathComponent()
            while folder.path != "/" && !folder.path.isEmpty {
                folders.append(folder)
                folder = folder.deletingLastPathComponent()
            }
        }
        folders.append(URL(fileURLWithPath: FileManager.default.currentDirectoryPath))
        return folders.flatMap { [$0.appendingPathComponent(relativePath).path, $0.appendingPathComponent(installedPath).path] }
    }

    /// `path` relative to the current folder when it is inside it, for shorter messages.
    static func displayPath(_ path: String) -> String {
        let current = FileManager.default.currentDirectoryPath + "/"
        return path.hasPrefix(current) ? String(path.dropFirst(current.count)) : path
    }
}
