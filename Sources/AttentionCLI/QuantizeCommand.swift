import ArgumentParser
import AttentionEngine
import Foundation

extension WeightFormat: ExpressibleByArgument {}

/// `attn quantize`: a checkpoint whose matrices are narrowed to BF16 or Q8 for inference.
struct QuantizeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "quantize",
        abstract: "Write a copy of a checkpoint with BF16 or Q8 weights: smaller, and faster to generate from.",
        discussion: """
            Narrows every Linear layer's weight and the token table of a gpt, seq2seq or cnn model \
            (bf16: 2 bytes per weight; q8: 8-bit integers with a scale per 32 weights, 1.125 bytes). \
            OUT is a safetensors checkpoint that generate, chat and attend load like any other; it \
            cannot be trained or resumed (train the FP32 checkpoint). The training state of IN is \
            not copied. OUT is written atomically. See docs/quantization.md.
            """)

    @Option(name: .customLong("type"), help: "The weight format: \(WeightFormat.allCases.map(\.rawValue).joined(separator: " or ")).")
    var format: WeightFormat
    @Argument(help: "The FP32 checkpoint to read.") var input: String
    @Argument(help: "The checkpoint to write (replaced atomically).") var output: String

    func run() throws {
        try reportingErrors {
            let checkpoint = try InputFiles.checkpoint(input)
            if let current = checkpoint.model.weightFormat {
                throw AttentionError.invalid("\(input) already holds \(current.rawValue) weights; quantize the FP32 checkpoint")
            }
            try InputFiles.checkWritable(output)
            let before = checkpoint.model.parameterCount * MemoryLayout<Float>.size
            try checkpoint.model.quantize(to: format)
            let narrowed = checkpoint.model.quantizableWeights.compactMap(\.layer.quantizedWeight)
            let after = before - narrowed.reduce(0) { $0 + $1.rows * $1.columns * MemoryLayout<Float>.size - $1.byteCount }
            try ModelCheckpoint(model: checkpoint.model, tokenizer: checkpoint.tokenizer).write(to: output)
            print("\(output): \(narrowed.count) \(narrowed.count == 1 ? "matrix" : "matrices") as \(format.rawValue); weights \(megabytes(before)) → \(megabytes(after))")
        }
    }

    private func megabytes(_ bytes: Int) -> String { String(format: "%.2f MB", Double(bytes) / 1e6) }
}
