import AttentionEngine
import XCTest

/// The model-kind registry: every kind's exact parameter count against the model it builds, its
/// config dictionary round trip, lookups by name and C identifier, and the config errors.
final class ModelKindTests: XCTestCase {
    /// Small configs of each kind, with variants that change the count formula (LSTM, layers).
    private let configs: [(kind: String, config: [String: String])] = [
        ("gpt", ["n_layer": "2", "n_head": "2", "n_embd": "16", "block_size": "8", "vocab_size": "11", "dropout": "0.1"]),
        ("gpt", ["n_layer": "1", "n_head": "1", "n_embd": "8", "block_size": "3", "vocab_size": "5"]),
        ("seq2seq", ["n_encoder_layer": "2", "n_decoder_layer": "1", "n_head": "2", "n_embd": "16",
                     "max_source_length": "7", "max_target_length": "9", "vocab_size": "13", "dropout": "0"]),
        ("rnn", ["cell": "gru", "n_layer": "1", "n_embd": "6", "hidden_size": "10", "block_size": "8", "vocab_size": "9"]),
        ("rnn", ["cell": "lstm", "n_layer": "3", "n_embd": "6", "hidden_size": "10", "block_size": "8", "vocab_size": "9"]),
        ("cnn", ["n_layer": "3", "n_embd": "8", "kernel_size": "3", "block_size": "8", "vocab_size": "7"]),
        ("bert", ["n_layer": "2", "n_head": "2", "n_embd": "8", "block_size": "6", "n_inner": "12", "type_vocab_size": "3",
                  "layer_norm_eps": "1e-05", "hidden_act": "gelu_new", "vocab_size": "10"]),
        ("bert", ["n_layer": "1", "n_head": "1", "n_embd": "4", "block_size": "3", "n_inner": "4", "type_vocab_size": "1",
                  "layer_norm_eps": "1e-12", "hidden_act": "gelu", "vocab_size": "5"]),
    ]

    func testParameterCountIsExactAndConfigRoundTrips() throws {
        for (name, config) in configs {
            let kind = try XCTUnwrap(ModelKinds.named(name), name)
            let model = try kind.makeModel(config: config, seed: 1)
            let count = model.parameters.reduce(0) { $0 + $1.value.count }
            XCTAssertEqual(try kind.parameterCount(config: config), count, "\(name) \(config)")
            XCTAssertEqual(try kind.memoryEstimate(config: config, training: false), 4 * count)
            XCTAssertEqual(try kind.memoryEstimate(config: config, training: true), 16 * count)
            let described = try XCTUnwrap(ModelKinds.describe(model), name)
            XCTAssertEqual(described.kind.name, name)
            XCTAssertNil(described.config["model"])
            let rebuilt = try kind.makeModel(config: described.config, seed: 1)
            XCTAssertEqual(ModelKinds.describe(rebuilt)?.config, described.config, name)
            XCTAssertEqual(rebuilt.parameters.flatMap(\.value.scalars), model.parameters.flatMap(\.value.scalars), name)
            // No other kind claims the model.
            XCTAssertEqual(ModelKinds.all.filter { $0.config(of: model) != nil }.map(\.name), [name])
        }
    }

    func testDefaultsBuildAModelOfEveryKind() throws {
        XCTAssertEqual(ModelKinds.all.map(\.name), ["gpt", "seq2seq", "rnn", "cnn", "bert"])
        XCTAssertEqual(ModelKinds.all.map(\.abiIdentifier), [1, 2, 3, 4, 5])
        for kind in ModelKinds.all {
            XCTAssertEqual(ModelKinds.identified(by: kind.abiIdentifier)?.name, kind.name)
            XCTAssertNil(kind.defaultConfig["vocab_size"], kind.name)
            var config = kind.defaultConfig
            config["vocab_size"] = "20"
            let model = try kind.makeModel(config: config, seed: 0)
            XCTAssertEqual(try kind.parameterCount(config: config), model.parameters.reduce(0) { $0 + $1.value.count })
            XCTAssertEqual(kind.capabilities.contains(.languageModel), model is any LanguageModel, kind.name)
            XCTAssertEqual(kind.capabilities.contains(.answering), model is Seq2Seq, kind.name)
        }
        XCTAssertNil(ModelKinds.named("rnn9"))
        XCTAssertNil(ModelKinds.identified(by: 0))
    }

    func testBadConfigsNameTheKey() throws {
        let gpt = try XCTUnwrap(ModelKinds.named("gpt"))
        var config = configs[0].config
        config["n_kv_head"] = "2"
        assertThrowsAttentionError(["unknown config key 'n_kv_head'", "gpt"]) { _ = try gpt.parameterCount(config: config) }
        config = configs[0].config
        config["n_head"] = nil
        assertThrowsAttentionError(["'n_head' is missing"]) { _ = try gpt.makeModel(config: config, seed: 0) }
        config = configs[0].config
        config["n_embd"] = "\(1 << 40)"
        assertThrowsAttentionError(["n_embd = 1099511627776 must be in"]) { _ = try gpt.parameterCount(config: config) }
        var rnn = configs[3].config
        rnn["cell"] = "elman"
        assertThrowsAttentionError(["'cell'", "gru or lstm"]) { _ = try ModelKinds.named("rnn")!.parameterCount(config: rnn) }
    }
}
