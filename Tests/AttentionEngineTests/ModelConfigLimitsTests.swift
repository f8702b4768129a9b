import AttentionEngine
import XCTest

/// Issue 19: every kind applies the same integer limits when it builds a model from a config
/// (init) and when a checkpoint's config is read (load), as `.format` naming the key; a seq2seq
/// with max_target_length 1 (which trapped on 1...0 in training) and vocabularies below 5 or
/// above 2^18 are refused.
final class ModelConfigLimitsTests: XCTestCase {
    func config(_ kind: String, _ overrides: [String: String]) throws -> [String: String] {
        let found = try XCTUnwrap(ModelKinds.named(kind))
        var config = found.defaultConfig
        config["vocab_size"] = "10"
        config["n_embd"] = "16"
        for (key, value) in overrides { config[key] = value }
        return config
    }

    func testOutOfRangeValuesAreFormatErrorsNamingTheKey() throws {
        let cases: [(String, String, String)] = [
            ("rnn", "block_size", "2147483648"), ("rnn", "block_size", "9223372036854775807"),
            ("cnn", "block_size", "2147483648"), ("cnn", "kernel_size", "1025"),
            ("gpt", "block_size", "16777217"), ("gpt", "n_layer", "0"), ("gpt", "n_head", "-1"),
            ("seq2seq", "max_target_length", "1"), ("seq2seq", "n_decoder_layer", "1025"),
            ("gpt", "vocab_size", "4"), ("rnn", "vocab_size", "1"), ("cnn", "vocab_size", "262145"),
        ]
        for (kindName, key, value) in cases {
            let kind = try XCTUnwrap(ModelKinds.named(kindName))
            let bad = try config(kindName, [key: value])
            assertAttentionError(try kind.makeModel(config: bad, seed: 1), .format, [key, value])
            assertAttentionError(try kind.parameterCount(config: bad), .format, [key])
        }
    }

    func testBoundariesAreAccepted() throws {
        for vocabulary in [ModelConfigLimits.smallestVocabulary, 64] {
            let kind = try XCTUnwrap(ModelKinds.named("gpt"))
            XCTAssertNoThrow(try kind.makeModel(config: config("gpt", ["vocab_size": "\(vocabulary)", "n_layer": "1",
                                                                       "block_size": "8"]), seed: 1))
        }
        XCTAssertEqual(ModelConfigLimits.range(of: "vocab_size"), 5...(1 << 18))
        let seq2seq = try XCTUnwrap(ModelKinds.named("seq2seq"))
        XCTAssertNoThrow(try seq2seq.makeModel(config: config("seq2seq", ["max_target_length": "2"]), seed: 1))
    }

    func testSeq2SeqConfigBuiltInSwiftRefusesAnswerlessLength() {
        let config = Seq2SeqConfig(nEncoderLayer: 1, nDecoderLayer: 1, nHead: 2, nEmbd: 8, maxSourceLength: 4,
                                   maxTargetLength: 1, vocabularySize: 10)
        assertAttentionError(try config.validate(), .invalidArgument, ["max_target_length"])
    }
}
