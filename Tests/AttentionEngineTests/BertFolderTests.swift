import AttentionEngine
import Foundation
import XCTest

/// Loading a Hugging Face BERT folder: what loads, and the clear errors for everything that
/// does not (each names the file and the key, value or tensor at fault).
final class BertFolderTests: XCTestCase {
    private var directory = ""

    override func setUpWithError() throws { directory = try makeTemporaryDirectory() }
    override func tearDown() { removeFolder(directory) }

    private func assertLoadFails(_ folder: BertTestFolder, prefix: String = "", _ kind: AttentionError.Kind,
                                 _ fragments: String..., file: StaticString = #filePath, line: UInt = #line) throws {
        try folder.write(to: directory, prefix: prefix)
        assertAttentionError(try SentenceEncoder(folder: directory), kind, fragments, file: file, line: line)
    }

    func testLoadsWithAndWithoutTheBertPrefix() throws {
        let folder = BertTestFolder()
        let plain = try folder.load()
        let prefixed = try folder.load(prefix: "bert.")
        XCTAssertEqual(plain.dimension, 32)
        XCTAssertEqual(plain.maxLength, 24)
        XCTAssertEqual(plain.config.layerCount, 2)
        assertBitwiseEqual(try plain.embed(["the cat sat"]), try prefixed.embed(["the cat sat"]))
    }

    func testHalfPrecisionWeightsLoadAsTheirExactFloatValues() throws {
        // Round every weight to F16 and BF16 and store those dtypes: each must embed exactly as
        // the same rounded values stored in F32.
        var folder = BertTestFolder()
        for (name, tensor) in folder.tensors {
            folder.tensors[name]?.data = tensor.data.map { Float(Float16($0)) }
        }
        let reference = try folder.load().embed(["the cat sat on the mat"])
        for dtype in ["F16", "BF16"] {
            if dtype == "BF16" {
                for (name, tensor) in folder.tensors {
                    folder.tensors[name]?.data = tensor.data.map { Float(bitPattern: $0.bitPattern & 0xFFFF_0000) }
                }
            }
            try folder.write(to: directory)
            try writeHalfPrecisionWeights(folder, dtype: dtype, to: directory + "/model.safetensors")
            let embedded = try SentenceEncoder(folder: directory).embed(["the cat sat on the mat"])
            if dtype == "F16" { assertBitwiseEqual(embedded, reference) }
            let direct = try folder.load().embed(["the cat sat on the mat"])
            assertBitwiseEqual(embedded, direct, dtype)
        }
    }

    func testIgnoresIntegerPositionIdsAndThePooler() throws {
        let folder = BertTestFolder()
        try folder.write(to: directory)
        // Rewrite with an extra I64 `embeddings.position_ids` (1, P) tensor, as HF files have.
        var header: [String: String] = [:]
        var data: [UInt8] = []
        for tensor in folder.tensors.values.sorted(by: { $0.name < $1.name }) {
            let bytes = float32Bytes(tensor.data)
            header[tensor.name] = #"{"dtype":"F32","shape":[\#(tensor.shape.map(String.init).joined(separator: ","))],"data_offsets":[\#(data.count),\#(data.count + bytes.count)]}"#
            data += bytes
        }
        let positions = (0..<24).flatMap { withUnsafeBytes(of: Int64($0).littleEndian, Array.init) }
        header["embeddings.position_ids"] = #"{"dtype":"I64","shape":[1,24],"data_offsets":[\#(data.count),\#(data.count + positions.count)]}"#
        data += positions
        let json = "{" + header.map { "\"\($0.key)\":\($0.value)" }.joined(separator: ",") + "}"
        writeFileBytes(directory + "/model.safetensors", safetensorsFile(json, data: data))
        XCTAssertEqual(try SentenceEncoder(folder: directory).embed(["the"]).count, 32)
    }

    func testMissingFolderAndFiles() throws {
        assertAttentionError(try SentenceEncoder(folder: directory + "/nowhere"), .io, ["nowhere", "does not exist"])
        try BertTestFolder().write(to: directory)
        assertAttentionError(try SentenceEncoder(folder: directory + "/config.json"), .io, ["is not a folder"])
        for file in ["config.json", "vocab.txt", "model.safetensors"] {
            let saved = try XCTUnwrap(readFileBytes(directory + "/" + file))
            unlink(directory + "/" + file)
            assertAttentionError(try SentenceEncoder(folder: directory), .io, [file])
            writeFileBytes(directory + "/" + file, saved)
        }
        unlink(directory + "/model.safetensors")
        writeFileBytes(directory + "/pytorch_model.bin", [0])
        assertAttentionError(try SentenceEncoder(folder: directory), .io, ["pytorch_model.bin", "safetensors"])
    }

    func testAnotherArchitectureNamesTheValue() throws {
        var folder = BertTestFolder()
        let original = folder.configJSON
        folder.configJSON = original.replacingOccurrences(of: #""model_type": "bert""#, with: #""model_type": "gpt2""#)
        try assertLoadFails(folder, .format, "model_type", "gpt2")
        folder.configJSON = original.replacingOccurrences(of: #""hidden_act": "gelu""#, with: #""hidden_act": "swish""#)
        try assertLoadFails(folder, .format, "hidden_act", "swish")
        folder.configJSON = original.replacingOccurrences(of: #""position_embedding_type": "absolute""#,
                                                          with: #""position_embedding_type": "relative_key""#)
        try assertLoadFails(folder, .format, "position_embedding_type", "relative_key")
        folder.configJSON = original.replacingOccurrences(of: #""num_attention_heads": 4"#, with: #""num_attention_heads": 5"#)
        try assertLoadFails(folder, .format, "not divisible", "5")
        folder.configJSON = original.replacingOccurrences(of: #""hidden_size": 32"#, with: #""hidden_size": "32""#)
        try assertLoadFails(folder, .format, "hidden_size", "a string")
        folder.configJSON = original.replacingOccurrences(of: #""vocab_size": 40"#, with: #""vocab_size": 99999999999"#)
        try assertLoadFails(folder, .format, "vocab_size", "99999999999")
        folder.configJSON = "[1, 2]"
        try assertLoadFails(folder, .format, "config.json", "not an object")
        folder.configJSON = "{\"model_type\": \"bert\""
        try assertLoadFails(folder, .format, "config.json")
    }

    func testShapesThatDisagreeWithTheConfigNameTheTensor() throws {
        var folder = BertTestFolder()
        folder.tensors["encoder.layer.1.intermediate.dense.weight"] = SafeTensor(
            name: "encoder.layer.1.intermediate.dense.weight", shape: [47, 32], data: [Float](repeating: 0, count: 47 * 32))
        try assertLoadFails(folder, .format, "encoder.layer.1.intermediate.dense.weight", "[47,32]", "[48,32]")
        folder = BertTestFolder()
        folder.tensors["encoder.layer.0.attention.self.key.bias"] = nil
        try assertLoadFails(folder, prefix: "bert.", .format, "missing tensor 'bert.encoder.layer.0.attention.self.key.bias'")
        folder = BertTestFolder()
        folder.configJSON = folder.configJSON.replacingOccurrences(of: #""num_hidden_layers": 2"#, with: #""num_hidden_layers": 1"#)
        try assertLoadFails(folder, .format, "encoder.layer.1.", "num_hidden_layers 1")
    }

    func testVocabularyMustMatchTheEmbeddingTable() throws {
        var folder = BertTestFolder()
        folder.vocabulary.removeLast()
        try assertLoadFails(folder, .format, "vocab.txt has 39 tokens", "vocab_size", "40")
        folder = BertTestFolder()
        folder.vocabulary[2] = "[NOTCLS]"
        try assertLoadFails(folder, .format, "[CLS]")
        try BertTestFolder().write(to: directory)
        writeFileBytes(directory + "/vocab.txt", [0x61, 0x0A, 0xFF, 0x0A])
        assertAttentionError(try SentenceEncoder(folder: directory), .format, ["vocab.txt", "UTF-8"])
    }

    func testSentenceTransformersFilesAreRead() throws {
        var folder = BertTestFolder()
        folder.extraFiles["sentence_bert_config.json"] = #"{"max_seq_length": 8, "do_lower_case": false}"#
        folder.extraFiles["tokenizer_config.json"] = #"{"do_lower_case": false, "cls_token": {"content": "[CLS]"}}"#
        let encoder = try folder.load()
        XCTAssertEqual(encoder.maxLength, 8)
        XCTAssertEqual(encoder.tokenizer.tokens(encoder.tokenize("The cat")), ["[CLS]", "[UNK]", "cat", "[SEP]"])
        XCTAssertTrue(encoder.isTruncated("a a a a a a a"))
        XCTAssertEqual(encoder.tokenize("a a a a a a a a a").count, 8)
        folder.extraFiles["sentence_bert_config.json"] = #"{"max_seq_length": 600}"#
        try assertLoadFails(folder, .format, "max_seq_length 600")
        folder.extraFiles["sentence_bert_config.json"] = "{}"
        folder.extraFiles["1_Pooling/config.json"] = #"{"pooling_mode_max_tokens": true}"#
        try assertLoadFails(folder, .format, "pooling_mode_max_tokens")
    }

    /// Rewrites the folder's weights as `dtype` (F16 or BF16) from values already exact in it.
    private func writeHalfPrecisionWeights(_ folder: BertTestFolder, dtype: String, to path: String) throws {
        var header: [String] = []
        var data: [UInt8] = []
        for tensor in folder.tensors.values.sorted(by: { $0.name < $1.name }) {
            let halves: [UInt16] = tensor.data.map {
                dtype == "F16" ? Float16($0).bitPattern : UInt16($0.bitPattern >> 16)
            }
            let bytes = halves.flatMap { withUnsafeBytes(of: $0.littleEndian, Array.init) }
            header.append(#""\#(tensor.name)":{"dtype":"\#(dtype)","shape":[\#(tensor.shape.map(String.init).joined(separator: ","))],"data_offsets":[\#(data.count),\#(data.count + bytes.count)]}"#)
            data += bytes
        }
        writeFileBytes(path, safetensorsFile("{" + header.joined(separator: ",") + "}", data: data))
    }
}
