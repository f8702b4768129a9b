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
    /// the bar's total came before these.
    static func embed(_ texts: [String], _ encoder: SentenceEncoder, batchSize: Int, normalize: Bool = true,
                      bar: ProgressBar? = nil, done: Int = 0) throws -> [Float] {
        try encoder.embed(texts, batchSize: batchSize, normalize: normalize) { bar?.update(done + $0) }
    }
}

/// A progress bar on stderr, drawn only when stderr is a terminal and there are enough texts
/// for the wait to be noticeable.
final class ProgressBar {
    let total: Int
    private let visible: Bool
    private let start = Date()

    init(total: Int, batchSize: Int) {
        self.total = total
        visible = isatty(STDERR_FILENO) != 0 && total > 4 * batchSize
    }

    func update(_ done: Int) {
        guard visible else { return }
        let width = 30, filled = width * done / max(total, 1)
        let rate = Double(done) / max(Date().timeIntervalSince(start), 1e-3)
        let bar = String(repeating: "█", count: filled) + String(repeating: "·", count: width - filled)
        FileHandle.standardError.write(Data(String(format: "\rembedding %@ %d/%d  %.0f texts/s", bar, done, total, rate).utf8))
    }

    func finish() {
        if visible { FileHandle.standardError.write(Data("\n".utf8)) }
    }
}
