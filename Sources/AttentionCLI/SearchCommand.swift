import ArgumentParser
import AttentionEngine
import Foundation

/// `attn search`: semantic search over the lines of a file — each line and the query are
/// embedded, and the lines most similar to the query (cosine similarity) are printed with their
/// scores, best first.
struct SearchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "search", abstract: "Rank the lines of a file by meaning, against a query, with a pretrained encoder.")

    @Option(help: "Folder of a Hugging Face / sentence-transformers BERT model.") var model: String
    @Option(help: "What to look for.") var query: String
    @Option(help: "How many lines to show.") var top = 10
    @Option(help: "Texts per forward pass (speed only; results do not depend on it).") var batchSize = 32
    @Flag(help: "One JSON object per result: {\"score\": ..., \"line\": ..., \"text\": ...}.") var json = false
    @Argument(help: "UTF-8 text file; each non-empty line is one document.") var file: String

    /// Lines embedded per call.
    static let chunkSize = 4096

    func validate() throws {
        if top < 1 { throw ValidationError("--top must be at least 1") }
        if !(1...65_536).contains(batchSize) { throw ValidationError("--batch-size must be from 1 to 65536") }
    }

    func run() throws {
        try reportingErrors {
            let text = try InputFiles.text(file)
            // (line number, text) of every non-blank line.
            let documents = text.split(separator: "\n", omittingEmptySubsequences: false).enumerated()
                .map { ($0.offset + 1, String($0.element).trimmingCharacters(in: CharacterSet(charactersIn: "\r"))) }
                .filter { !$0.1.trimmingCharacters(in: .whitespaces).isEmpty }
            guard !documents.isEmpty else { throw AttentionError.invalid("\(file) has no non-empty lines to search") }
            let encoder = try EncoderSupport.load(model)
            EncoderSupport.noteTruncation(documents.map(\.1) + [query], encoder, what: "lines")
            let queryVector = try encoder.embed([query])
            let D = encoder.dimension
            // Chunks of lines, so memory holds one chunk's vectors, not the whole file's.
            let bar = EncoderSupport.progressBar(total: documents.count, batchSize: batchSize)
            var scores: [Float] = []
            scores.reserveCapacity(documents.count)
            for start in stride(from: 0, to: documents.count, by: Self.chunkSize) {
                let chunk = documents[start..<min(start + Self.chunkSize, documents.count)].map(\.1)
                let vectors = try EncoderSupport.embed(chunk, encoder, batchSize: batchSize, bar: bar, done: start, total: documents.count)
                scores += chunk.indices.map { i in (0..<D).reduce(Float(0)) { $0 + vectors[i * D + $1] * queryVector[$1] } }
            }
            EncoderSupport.finish(bar, total: documents.count)
            let ranked = documents.indices.sorted { (scores[$0], -$0) > (scores[$1], -$1) }.prefix(top)
            for i in ranked {
                if json {
                    print(#"{"score":\#(scores[i]),"line":\#(documents[i].0),"text":\#(jsonString(documents[i].1))}"#)
                } else {
                    print(String(format: "%.4f  ", scores[i]) + documents[i].1)
                }
            }
        }
    }
}
