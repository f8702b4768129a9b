import AttentionEngine
import XCTest

/// The "bert" entry of the model-kind registry against the real all-MiniLM-L6-v2: its config.json
/// as a registry dictionary, the exact parameter count against the tensors of the file, the
/// tensor layout against the file's names and shapes, and a registry-built model that, given
/// the file's tensors, embeds bitwise as the folder loader does; checkpoints of the kind round
/// trip; the dictionary's errors name the key.
final class BertKindTests: XCTestCase {
    private let kind = BertKind()

    func testMiniLMThroughTheRegistry() throws {
        let folder = try miniLMFolder()
        let encoder = try SentenceEncoder(folder: folder)
        XCTAssertEqual(ModelKinds.named("bert")?.abiIdentifier, 5)
        let config = kind.dictionary(encoder.config)
        XCTAssertEqual(config, ["n_layer": "6", "n_head": "12", "n_embd": "384", "block_size": "512", "n_inner": "1536",
                                "type_vocab_size": "2", "layer_norm_eps": "1e-12", "hidden_act": "gelu", "vocab_size": "30522"])
        XCTAssertEqual(try kind.parse(config), encoder.config)
        var defaults = kind.defaultConfig
        defaults["vocab_size"] = "30522"
        XCTAssertEqual(defaults, config, "the defaults are all-MiniLM-L6-v2's shape")

        // Every tensor of the file but the ones the kind skips (position ids, pooler) is a parameter.
        let file = try SafeTensorsFile.read(path: folder + "/model.safetensors", skipping: ["embeddings.position_ids"])
        let used = file.tensors.filter { !kind.isIgnoredTensor($0.name) }
        let fileCount = used.reduce(0) { $0 + $1.data.count }
        XCTAssertEqual(fileCount, 22_565_376)
        XCTAssertEqual(try kind.parameterCount(config: config), fileCount)
        XCTAssertEqual(encoder.parameterCount, fileCount)
        XCTAssertEqual(try kind.memoryEstimate(config: config, training: false), 4 * fileCount)
        XCTAssertTrue(kind.isIgnoredTensor("embeddings.position_ids"))
        XCTAssertTrue(kind.isIgnoredTensor("bert.pooler.dense.weight"))
        XCTAssertFalse(kind.isIgnoredTensor("encoder.layer.0.output.dense.bias"))

        let model = try XCTUnwrap(try kind.makeModel(config: config, seed: 3) as? BertModel)
        XCTAssertEqual(Dictionary(uniqueKeysWithValues: model.namedParameters.map { ($0.name, $0.parameter.shape) }),
                       Dictionary(uniqueKeysWithValues: used.map { ($0.name, $0.shape) }))
        XCTAssertEqual(ModelKinds.describe(model)?.kind.name, "bert")
        XCTAssertEqual(ModelKinds.describe(model)?.config, config)
        for (name, parameter) in model.namedParameters {
            try parameter.assign(Tensor(shape: parameter.shape, values: try file.tensor(named: name, shape: parameter.shape)))
        }
        let rebuilt = try SentenceEncoder(model: model, tokenizer: encoder.tokenizer, maxLength: encoder.maxLength)
        let texts = ["A man is eating food.", "", "Semantic search ranks lines by cosine similarity."]
        let expected = try encoder.embed(texts), actual = try rebuilt.embed(texts)
        XCTAssertEqual(actual.map(\.bitPattern), expected.map(\.bitPattern))
    }

    func testCheckpointRoundTripAndEncoding() throws {
        let config = ["n_layer": "2", "n_head": "4", "n_embd": "32", "block_size": "24", "vocab_size": "\(BertTestFolder.vocabulary.count)"]
        let model = try XCTUnwrap(try kind.makeModel(config: config, seed: 9) as? BertModel)
        XCTAssertEqual(model.config.intermediateSize, 128, "n_inner defaults to 4 · n_embd")
        XCTAssertEqual(model.config.activation, .geluErf)
        let bytes = try ModelCheckpoint(model: model).bytes()
        let loaded = try XCTUnwrap(try ModelCheckpoint.load(bytes: bytes).model as? BertModel)
        XCTAssertEqual(loaded.config, model.config)
        XCTAssertEqual(loaded.parameters.flatMap(\.value.scalars), model.parameters.flatMap(\.value.scalars))
        let tokenizer = try WordPieceTokenizer(vocabulary: BertTestFolder.vocabulary)
        let texts = ["the cat sat on the mat", "a dog", ""]
        let original = try SentenceEncoder(model: model, tokenizer: tokenizer).embed(texts)
        XCTAssertEqual(try SentenceEncoder(model: loaded, tokenizer: tokenizer).embed(texts), original)
        XCTAssertTrue(original.allSatisfy(\.isFinite))
        assertThrowsAttentionError(["max length 25", "24 positions"]) {
            _ = try SentenceEncoder(model: model, tokenizer: tokenizer, maxLength: 25)
        }
        assertThrowsAttentionError(["tokenizer has 6 tokens", "vocab_size is 40"]) {
            _ = try SentenceEncoder(model: model, tokenizer: try WordPieceTokenizer(vocabulary: Array(BertTestFolder.vocabulary.prefix(6))))
        }
    }

    func testBadConfigsNameTheKey() throws {
        let good = ["n_layer": "1", "n_head": "2", "n_embd": "8", "block_size": "4", "vocab_size": "10"]
        var config = good
        config["hidden_act"] = "relu"
        assertThrowsAttentionError(["hidden_act 'relu'", "bert"]) { _ = try kind.parameterCount(config: config) }
        config = good
        config["n_head"] = "3"
        assertThrowsAttentionError(["not divisible by num_attention_heads 3"]) { _ = try kind.makeModel(config: config, seed: 0) }
        config = good
        config["num_hidden_layers"] = "2"
        assertThrowsAttentionError(["unknown config key 'num_hidden_layers'", "bert"]) { _ = try kind.parameterCount(config: config) }
        config = good
        config["layer_norm_eps"] = "tiny"
        assertThrowsAttentionError(["'layer_norm_eps' is not a number"]) { _ = try kind.parameterCount(config: config) }
        config = good
        config["n_embd"] = nil
        assertThrowsAttentionError(["'n_embd' is missing"]) { _ = try kind.parameterCount(config: config) }
    }
}
