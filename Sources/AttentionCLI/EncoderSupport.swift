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

    /// Embeds `texts`, drawing `bar` (if any) as texts complete; `done` is how many texts of
    /// the bar's `total` came before these.
    static func embed(_ texts: [String], _ encoder: SentenceEncoder, batchSize: Int, normalize: Bool = true,
                      bar: ProgressBar? = nil, done: Int = 0, total: Int = 0) throws -> [Float] {
        try encoder.embed(texts, batchSize: batchSize, normalize: normalize) { completed in
            guard let bar else { return }
            let count = done + completed
            bar.update(fraction: Double(count) / Double(max(total, 1)), counter: "\(count)/\(total)",
                       rate: ProgressBar.rate(Double(count) / max(bar.elapsed, 1e-3), unit: "texts"))
        }
    }

    /// The bar of embedding `total` texts: on stderr, drawn when it is a terminal and there are
    /// enough texts for the wait to be noticeable.
    static func progressBar(total: Int, batchSize: Int) -> ProgressBar {
        ProgressBar(label: "embedding", descriptor: STDERR_FILENO, wanted: total > 4 * batchSize)
    }

    /// Ends `bar` after `total` texts.
    static func finish(_ bar: ProgressBar, total: Int) {
        bar.finish(fraction: 1, counter: "\(total)/\(total)",
                   rate: ProgressBar.rate(Double(total) / max(bar.elapsed, 1e-3), unit: "texts"))
    }
}
