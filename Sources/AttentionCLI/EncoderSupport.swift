import AttentionEngine
import Foundation

/// What `attn embed`, `attn search` and `attn attend --text` share: loading a pretrained
/// encoder folder, the one-time truncation notice, and a progress bar on stderr.
enum EncoderSupport {
    /// The sentence encoder in `folder`, with the folder named in any error.
    static func load(_ folder: String) throws -> SentenceEncoder {
        do {
            return try SentenceEncoder(folder: folder)
        } catch let error as AttentionError {
            throw AttentionError(error.kind, error.message.contains(folder) ? error.message : "\(folder): \(error.message)")
        }
    }

    /// Says once on stderr how many of `texts` are longer than the model reads (they are
    /// truncated, as sentence-transformers truncates them).
    static func noteTruncation(_ texts: [String], _ encoder: SentenceEncoder, what: String = "texts") {
        let truncated = texts.filter(encoder.isTruncated).count
        guard truncated > 0 else { return }
        let subject = truncated == 1 ? "1 of the \(what) is" : "\(truncated) of the \(what) are"
        FileHandle.standardError.write(Data(
            "attn: \(subject) longer than \(encoder.maxLength) tokens and embedded truncated (as sentence-transformers does)\n".utf8))
    }

    /// Embeds `texts`, drawing a progress bar on stderr when it is a terminal and there are
    /// enough texts for the wait to be noticeable.
    static func embed(_ texts: [String], _ encoder: SentenceEncoder, batchSize: Int, normalize: Bool = true) throws -> [Float] {
        let showBar = isatty(STDERR_FILENO) != 0 && texts.count > 4 * batchSize
        let start = Date()
        let vectors = try encoder.embed(texts, batchSize: batchSize, normalize: normalize) { done in
            guard showBar else { return }
            let width = 30, filled = width * done / max(texts.count, 1)
            let rate = Double(done) / max(Date().timeIntervalSince(start), 1e-3)
            let bar = String(repeating: "█", count: filled) + String(repeating: "·", count: width - filled)
            FileHandle.standardError.write(Data(String(format: "\rembedding %@ %d/%d  %.0f texts/s", bar, done, texts.count, rate).utf8))
        }
        if showBar { FileHandle.standardError.write(Data("\n".utf8)) }
        return vectors
    }
}
