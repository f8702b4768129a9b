import ArgumentParser
import AttentionEngine
import Foundation

/// `attn embed`: sentence embeddings from a pretrained BERT folder (e.g. all-MiniLM-L6-v2), one
/// line per text: the vector's numbers, or a JSON object with `--json`.
struct EmbedCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "embed",
        abstract: "Print sentence embeddings of texts with a pretrained encoder (e.g. all-MiniLM-L6-v2).",
        discussion: "Without TEXT arguments, embeds each line of standard input.")

    @Option(help: "Folder of a Hugging Face / sentence-transformers BERT model.") var model: String
    @Flag(help: "One JSON object per line: {\"text\": ..., \"embedding\": [...]}.") var json = false
    @Option(help: "Texts per forward pass (speed only; results do not depend on it).") var batchSize = 32
    @Flag(help: "Leave the vectors unnormalized (default: unit L2 norm).") var noNormalize = false
    @Argument(help: "Texts to embed.") var texts: [String] = []

    func validate() throws {
        if !(1...65_536).contains(batchSize) { throw ValidationError("--batch-size must be from 1 to 65536") }
    }

    func run() throws {
        try reportingErrors {
            let encoder = try EncoderSupport.load(model)
            var inputs = texts
            if inputs.isEmpty {
                let data = FileHandle.standardInput.readDataToEndOfFile()
                let text = try UTF8Validation.decode(Array(data))
                inputs = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
                if inputs.last == "" { inputs.removeLast() }
            }
            EncoderSupport.noteTruncation(inputs, encoder)
            let bar = EncoderSupport.progressBar(total: inputs.count, batchSize: batchSize)
            let vectors = try EncoderSupport.embed(inputs, encoder, batchSize: batchSize, normalize: !noNormalize, bar: bar, total: inputs.count)
            EncoderSupport.finish(bar, total: inputs.count)
            let D = encoder.dimension
            for (i, text) in inputs.enumerated() {
                let numbers = vectors[i * D..<(i + 1) * D].map { "\($0)" }
                if json {
                    print(#"{"text":\#(jsonString(text)),"embedding":[\#(numbers.joined(separator: ","))]}"#)
                } else {
                    print(numbers.joined(separator: " "))
                }
            }
        }
    }
}
