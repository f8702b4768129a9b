import ArgumentParser
import AttentionEngine
import Foundation

extension WeightFormat: ExpressibleByArgument {}

/// `attn quantize`: a copy of a checkpoint, or of a pretrained encoder folder, whose matrices are
/// narrowed to BF16 or Q8 for inference.
struct QuantizeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "quantize",
        abstract: "Write a copy of a checkpoint or encoder folder with BF16 or Q8 weights: smaller, and faster to generate from.",
        discussion: """
            bf16 stores 2 bytes per weight; q8 8-bit integers with a scale per 32 weights (1.125 \
            bytes). For a checkpoint: every Linear layer's weight and the token table of a gpt, \
            seq2seq or cnn model are narrowed; OUT is a safetensors checkpoint that generate, chat \
            and attend load like any other, written atomically. It cannot be trained or resumed \
            (train the FP32 checkpoint), and the training state of IN is not copied. For a BERT \
            folder (attn embed/search --model): the word embeddings and the six matrices of every \
            layer are narrowed; OUT is a new folder with IN's configuration and tokenizer files. \
            See docs/quantization.md.
            """)

    @Option(name: .customLong("type"), help: "The weight format: \(WeightFormat.allCases.map(\.rawValue).joined(separator: " or ")).")
    var format: WeightFormat
    @Argument(help: "The FP32 checkpoint, or encoder folder, to read.") var input: String
    @Argument(help: "The checkpoint to write (replaced atomically), or the new folder.") var output: String

    func run() throws {
        try reportingErrors {
            var isFolder: ObjCBool = false
            if FileManager.default.fileExists(atPath: input, isDirectory: &isFolder), isFolder.boolValue {
                try quantizeEncoder()
            } else {
                try quantizeCheckpoint()
            }
        }
    }

    private func quantizeCheckpoint() throws {
        if let inputFile = realpath(input, nil) {
            defer { free(inputFile) }
            if let outputFile = realpath(output, nil) {
                defer { free(outputFile) }
                if strcmp(inputFile, outputFile) == 0 {
                    throw AttentionError.invalid("\(output) is \(input): write the narrowed copy to a new file (replacing the FP32 checkpoint and its training state cannot be undone)")
                }
            }
        }
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
        print("\(output): \(narrowed.count) \(narrowed.count == 1 ? "matrix" : "matrices") as \(format.rawValue); "
            + "weights \(megabytes(before)) → \(megabytes(after))")
    }

    private func quantizeEncoder() throws {
        let encoder = try EncoderSupport.load(input)
        if let current = encoder.weightFormat {
            throw AttentionError.invalid("\(input) already holds \(current.rawValue) weights; quantize the FP32 model")
        }
        let narrowed = try encoder.quantized(to: format)
        try narrowed.writeFolder(configurationFrom: input, to: output)
        print("\(output): the encoder's word embeddings and \(6 * encoder.config.layerCount) layer matrices as \(format.rawValue); "
            + "model.safetensors \(megabytes(fileSize(input + "/model.safetensors"))) → "
            + "\(megabytes(fileSize(output + "/model.safetensors")))")
    }

    private func fileSize(_ path: String) -> Int {
        ((try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? Int) ?? 0
    }

    private func megabytes(_ bytes: Int) -> String { String(format: "%.2f MB", Double(bytes) / 1e6) }
}
