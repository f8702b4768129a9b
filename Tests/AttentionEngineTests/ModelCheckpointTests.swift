import AttentionEngine
import XCTest

/// Model checkpoints: exact round trips (parameters, tokenizer, training state), a resumed run
/// bitwise equal to an uninterrupted one, and a typed error for each way a file can disagree with
/// the model it describes.
final class ModelCheckpointTests: XCTestCase {
    /// Quotes, backslash, newline, a control character, CJK and an astral-plane scalar: the
    /// vocabulary's JSON string must escape and round-trip all of them.
    private let corpus = "你吃了吗？吃了！\"\\\n\t\u{1}好😀 abc"

    private func smallGPT(dropout: Float = 0, seed: UInt64 = 3) throws -> (GPT, CharTokenizer) {
        let tokenizer = try CharTokenizer(corpus: corpus)
        let gpt = try GPT(config: GPTConfig(nLayer: 2, nHead: 2, nEmbd: 32, contextLength: 16,
                                            vocabularySize: tokenizer.vocabularySize, dropout: dropout), seed: seed)
        return (gpt, tokenizer)
    }

    private func parameterValues(_ model: any Module) -> [Float] {
        model.parameters.flatMap(\.value.scalars)
    }

    func testRoundTripThroughBytesAndPath() throws {
        let (gpt, tokenizer) = try smallGPT()
        let bytes = try ModelCheckpoint(model: gpt, tokenizer: tokenizer).bytes()
        let loaded = try ModelCheckpoint.load(bytes: bytes)
        let model = try XCTUnwrap(loaded.model as? GPT)
        XCTAssertEqual(model.config, gpt.config)
        XCTAssertEqual(loaded.tokenizer?.characters, tokenizer.characters)
        XCTAssertNil(loaded.training)
        XCTAssertEqual(model.namedParameters.map(\.name), gpt.namedParameters.map(\.name))
        assertBitwiseEqual(parameterValues(model), parameterValues(gpt))
        let tokens = tokenizer.encode("你吃了吗？\"\\\n")
        assertBitwiseEqual(try model.logits(tokens: tokens, batch: 1, time: tokens.count).scalars,
                           try gpt.logits(tokens: tokens, batch: 1, time: tokens.count).scalars)

        // The file: nanoGPT names plus lm_head.weight = wte, and the documented metadata.
        let file = try SafeTensorsFile.read(bytes: bytes)
        XCTAssertEqual(Set(file.tensors.map(\.name)), Set(gpt.namedParameters.map(\.name) + ["lm_head.weight"]))
        XCTAssertTrue(file.tensors.contains { $0.name == "transformer.h.1.attn.c_attn.weight" && $0.shape == [96, 32] })
        XCTAssertEqual(try file.tensor(named: "lm_head.weight").data, gpt.transformer.wte.weight.value.scalars)
        XCTAssertEqual(file.metadata["format"], "libattention-checkpoint")
        XCTAssertEqual(file.metadata["format_version"], "1")
        XCTAssertEqual(file.metadata["model"], "gpt")
        let config = try JSONValue.parse(Array(try XCTUnwrap(file.metadata["config"]).utf8))
        XCTAssertEqual(config["n_layer"], .number("2"))
        XCTAssertEqual(config["vocab_size"], .number("\(tokenizer.vocabularySize)"))
        XCTAssertEqual(try JSONValue.parse(Array(try XCTUnwrap(file.metadata["tokenizer.characters"]).utf8)),
                       .string(String(String.UnicodeScalarView(tokenizer.characters))))

        let directory = try makeTemporaryDirectory()
        defer { removeTemporaryDirectory(directory) }
        let path = directory + "/gpt.safetensors"
        try ModelCheckpoint(model: gpt, tokenizer: tokenizer).write(to: path)
        let fromPath = try ModelCheckpoint.load(path: path)
        assertBitwiseEqual(parameterValues(fromPath.model), parameterValues(gpt))
        XCTAssertEqual(fromPath.tokenizer, tokenizer)
        // Loading without a tokenizer in the file gives none.
        XCTAssertNil(try ModelCheckpoint.load(bytes: try ModelCheckpoint(model: gpt).bytes()).tokenizer)
    }

    /// 20 steps straight vs 10 steps + save + load + 10 steps: the same losses and parameters,
    /// bit for bit (with dropout on, so the dropout stream must be restored too), whatever the
    /// thread counts of the two runs.
    func testResumedRunIsBitwiseIdenticalToAnUninterruptedRun() throws {
        let config = TrainingConfig(steps: 20, batchSize: 4, learningRate: 3e-3, warmupSteps: 3, seed: 5)
        let text = String(DefaultData.corpus.prefix(800))
        let tokenizer = try CharTokenizer(corpus: text)
        let data = try TextBatches(text: text, tokenizer: tokenizer, contextLength: 16)
        func freshGPT() throws -> GPT {
            try GPT(config: GPTConfig(nLayer: 2, nHead: 2, nEmbd: 32, contextLength: 16,
                                      vocabularySize: tokenizer.vocabularySize, dropout: 0.1), seed: 9)
        }

        let straightModel = try freshGPT()
        // The straight run on 1 thread, the resumed half on 3 (the rest on the default 2).
        let straightTrainer = try Trainer(model: straightModel, data: data, config: config)
        let straight = withThreadCounts([1]) { try! straightTrainer.run() }[0]

        let firstModel = try freshGPT()
        let firstTrainer = try Trainer(model: firstModel, data: data, config: config)
        let firstHalf = try firstTrainer.run { $0.step < 10 }
        let state = firstTrainer.trainingState()
        XCTAssertEqual(state.step, 10)
        XCTAssertEqual(state.optimizerStep, 10)
        XCTAssertEqual(Set(state.randomStates.keys), ["trainer", "transformer.drop"])
        XCTAssertEqual(Set(state.moments.keys), Set(firstModel.namedParameters.map(\.name)))
        let bytes = try ModelCheckpoint(model: firstModel, tokenizer: tokenizer, training: state).bytes()

        let loaded = try ModelCheckpoint.load(bytes: bytes)
        XCTAssertEqual(loaded.training, state)
        let resumedTrainer = try Trainer(model: try XCTUnwrap(loaded.languageModel), data: data, config: config)
        try resumedTrainer.restore(try XCTUnwrap(loaded.training))
        let secondHalf = withThreadCounts([3]) { try! resumedTrainer.run() }[0]

        XCTAssertEqual((firstHalf + secondHalf).map(\.step), Array(1...20))
        assertBitwiseEqual((firstHalf + secondHalf).map(\.loss), straight.map(\.loss))
        assertBitwiseEqual(parameterValues(loaded.model), parameterValues(straightModel))

        // Sensitivity: the same checkpoint resumed without the training state goes elsewhere.
        let reloaded = try ModelCheckpoint.load(bytes: bytes)
        let naive = try Trainer(model: try XCTUnwrap(reloaded.languageModel), data: data, config: config)
        let naiveLosses = try naive.run { $0.step < 10 }.map(\.loss)
        XCTAssertNotEqual(naiveLosses.first, secondHalf.first?.loss)
    }

    /// GRU, LSTM and CNN language models: exact round trip through a file's bytes, and 6 steps =
    /// 3 + save + load + 3.
    func testRecurrentAndConvolutionalModelsRoundTripAndResume() throws {
        let text = String(DefaultData.corpus.prefix(600))
        let tokenizer = try CharTokenizer(corpus: text)
        let data = try TextBatches(text: text, tokenizer: tokenizer, contextLength: 12)
        let V = tokenizer.vocabularySize
        let makers: [(String, () throws -> any LanguageModel)] = [
            ("gru", { try RecurrentLM(config: RecurrentLMConfig(cell: .gru, nLayer: 2, nEmbd: 16, hiddenSize: 24, contextLength: 12, vocabularySize: V), seed: 1) }),
            ("lstm", { try RecurrentLM(config: RecurrentLMConfig(cell: .lstm, nLayer: 1, nEmbd: 16, hiddenSize: 17, contextLength: 12, vocabularySize: V), seed: 2) }),
            ("cnn", { try ConvolutionalLM(config: ConvolutionalLMConfig(nLayer: 3, nEmbd: 16, kernelSize: 3, contextLength: 12, vocabularySize: V), seed: 3) }),
        ]
        let config = TrainingConfig(steps: 6, batchSize: 3, learningRate: 3e-3, seed: 8)
        for (name, make) in makers {
            let straightModel = try make()
            let straight = try Trainer(model: straightModel, data: data, config: config).run()
            let firstModel = try make()
            let firstTrainer = try Trainer(model: firstModel, data: data, config: config)
            let firstHalf = try firstTrainer.run { $0.step < 3 }
            let bytes = try ModelCheckpoint(model: firstModel, tokenizer: tokenizer, training: firstTrainer.trainingState()).bytes()
            let loaded = try ModelCheckpoint.load(bytes: bytes)
            let model = try XCTUnwrap(loaded.languageModel, name)
            XCTAssertEqual(model.configDictionary, firstModel.configDictionary, name)
            XCTAssertEqual(model.namedParameters.map(\.name), firstModel.namedParameters.map(\.name), name)
            assertBitwiseEqual(parameterValues(model), parameterValues(firstModel), name)
            let resumed = try Trainer(model: model, data: data, config: config)
            try resumed.restore(try XCTUnwrap(loaded.training))
            let secondHalf = try resumed.run()
            assertBitwiseEqual((firstHalf + secondHalf).map(\.loss), straight.map(\.loss), name)
            assertBitwiseEqual(parameterValues(model), parameterValues(straightModel), name)
        }
        // Config errors of these kinds.
        let rnn = try ModelCheckpoint(model: try makers[0].1()).bytes()
        assertLoadFails(rewrite(rnn, metadata: { $0["config"] = $0["config"]!.replacingOccurrences(of: #""cell":"gru""#, with: #""cell":"rnn""#) }),
                        .format, "'cell' rnn")
        assertLoadFails(rewrite(rnn, metadata: { $0["config"] = $0["config"]!.replacingOccurrences(of: #""hidden_size":24"#, with: #""hidden_size":0"#) }),
                        .format, "hidden_size = 0")
        assertLoadFails(rewrite(rnn, metadata: { $0["config"] = $0["config"]!.replacingOccurrences(of: #""hidden_size":24"#, with: #""hidden_size":25"#) }),
                        .format, "rnn.0.weight_ih", "expected [75,16]")
        let cnn = try ModelCheckpoint(model: try makers[2].1()).bytes()
        assertLoadFails(rewrite(cnn, metadata: { $0["config"] = $0["config"]!.replacingOccurrences(of: #""kernel_size":3"#, with: #""kernel_size":1"#) }),
                        .format, "kernel_size 1")
        assertLoadFails(rewrite(cnn, metadata: { $0["config"] = $0["config"]!.replacingOccurrences(of: #""n_layer":3"#, with: #""n_layer":2"#) }),
                        .format, "unexpected tensor 'conv.2.")
    }

    /// The seq2seq model: exact round trip, and 6 steps = 3 + save + load + 3 with dropout on
    /// (two dropout streams: encoder.drop and decoder.drop).
    func testSeq2SeqRoundTripAndResume() throws {
        let pairs = Array(DefaultData.dialoguePairs.prefix(12))
        let tokenizer = try CharTokenizer(corpus: pairs.map { $0.question + $0.answer }.joined())
        let data = try PairBatches(pairs: pairs, tokenizer: tokenizer, maxSourceLength: 24, maxTargetLength: 24)
        func freshModel() throws -> Seq2Seq {
            try Seq2Seq(config: Seq2SeqConfig(nEncoderLayer: 1, nDecoderLayer: 2, nHead: 2, nEmbd: 32, maxSourceLength: 24,
                                              maxTargetLength: 24, vocabularySize: tokenizer.vocabularySize, dropout: 0.1), seed: 4)
        }
        let config = TrainingConfig(steps: 6, batchSize: 4, learningRate: 3e-3, seed: 2)
        let straightModel = try freshModel()
        let straight = try Trainer(model: straightModel, data: data, config: config).run()

        let firstModel = try freshModel()
        let firstTrainer = try Trainer(model: firstModel, data: data, config: config)
        let firstHalf = try firstTrainer.run { $0.step < 3 }
        let bytes = try ModelCheckpoint(model: firstModel, tokenizer: tokenizer, training: firstTrainer.trainingState()).bytes()
        let loaded = try ModelCheckpoint.load(bytes: bytes)
        let model = try XCTUnwrap(loaded.model as? Seq2Seq)
        XCTAssertNil(loaded.languageModel)
        XCTAssertEqual(model.config, firstModel.config)
        XCTAssertEqual(loaded.tokenizer, tokenizer)
        XCTAssertEqual(Set(try XCTUnwrap(loaded.training).randomStates.keys), ["trainer", "encoder.drop", "decoder.drop"])
        assertBitwiseEqual(parameterValues(model), parameterValues(firstModel))
        XCTAssertFalse(try SafeTensorsFile.read(bytes: bytes).tensors.contains { $0.name == "lm_head.weight" })

        let resumed = try Trainer(model: model, data: data, config: config)
        try resumed.restore(try XCTUnwrap(loaded.training))
        let secondHalf = try resumed.run()
        assertBitwiseEqual((firstHalf + secondHalf).map(\.loss), straight.map(\.loss))
        assertBitwiseEqual(parameterValues(model), parameterValues(straightModel))

        // Config errors name the seq2seq key.
        let file = try SafeTensorsFile.read(bytes: bytes)
        var metadata = file.metadata
        metadata["config"] = metadata["config"]!.replacingOccurrences(of: "\"n_decoder_layer\":2", with: "\"n_decoder_layer\":\"x\"")
        assertLoadFails(try SafeTensorsFile.write(tensors: file.tensors, metadata: metadata), .format, "'n_decoder_layer'")
    }

    func testTrainingStateErrors() throws {
        let (gpt, tokenizer) = try smallGPT()
        let text = String(repeating: corpus, count: 20)
        let data = try TextBatches(text: text, tokenizer: tokenizer, contextLength: 16)
        let trainer = try Trainer(model: gpt, data: data, config: TrainingConfig(steps: 4, batchSize: 2))
        try trainer.run { $0.step < 2 }
        let state = trainer.trainingState()
        let bytes = try ModelCheckpoint(model: gpt, tokenizer: tokenizer, training: state).bytes()

        assertLoadFails(rewrite(bytes, metadata: { $0["training.step"] = nil }), .format, "optimizer.", "training.step")
        assertLoadFails(rewrite(bytes, metadata: { $0["training.optimizer_step"] = "-1" }), .format, "training.optimizer_step")
        assertLoadFails(rewrite(bytes, metadata: { $0["training.random.trainer"] = "xoshiro256** 1 2 3" }), .format,
                        "training.random.trainer")
        assertLoadFails(rewrite(bytes, metadata: { $0["training.random.trainer"] = "xoshiro256** 0 0 0 0" }), .format,
                        "all zero")
        assertLoadFails(rewrite(bytes, metadata: { $0["training.schedule"] = #"{"peak": 1}"# }), .format, "training.schedule")
        assertLoadFails(rewrite(bytes, tensors: { $0.removeAll { $0.name == "optimizer.v.transformer.ln_f.bias" } }),
                        .format, "missing tensor 'optimizer.v.transformer.ln_f.bias'")
        assertLoadFails(rewrite(bytes, tensors: { $0.append(SafeTensor(name: "optimizer.m.nothing", shape: [1], data: [0])) }),
                        .format, "optimizer.m.nothing")

        // Restoring into a trainer that does not fit.
        let other = try Trainer(model: gpt, data: data, config: TrainingConfig(steps: 9, batchSize: 2))
        XCTAssertThrowsError(try other.restore(state)) { XCTAssertTrue("\($0)".contains("schedule"), "\($0)") }
        var unknownMoment = state
        unknownMoment.moments["transformer.h.7.ln_1.weight"] = unknownMoment.moments["transformer.ln_f.weight"]
        XCTAssertThrowsError(try trainer.restore(unknownMoment)) { XCTAssertTrue("\($0)".contains("h.7"), "\($0)") }
        var unknownRandom = state
        unknownRandom.randomStates["transformer.h.0.drop"] = Random(seed: 1)
        XCTAssertThrowsError(try trainer.restore(unknownRandom)) { XCTAssertTrue("\($0)".contains("h.0.drop"), "\($0)") }
        XCTAssertEqual(try Random(stateDescription: Random(seed: 4).stateDescription), Random(seed: 4))
    }

    /// Each model-level problem is a typed error that names it.
    func testModelLevelErrors() throws {
        let (gpt, tokenizer) = try smallGPT()
        let bytes = try ModelCheckpoint(model: gpt, tokenizer: tokenizer).bytes()
        func config(_ edit: @escaping (inout [String: String]) -> Void) -> (inout [String: String]) -> Void {
            return { metadata in
                var values = ["n_layer": "2", "n_head": "2", "n_embd": "32", "block_size": "16",
                              "vocab_size": "\(tokenizer.vocabularySize)", "dropout": "0.0"]
                edit(&values)
                metadata["config"] = "{" + values.sorted { $0.key < $1.key }.map { #""\#($0.key)": \#($0.value)"# }
                    .joined(separator: ", ") + "}"
            }
        }
        XCTAssertNoThrow(try ModelCheckpoint.load(bytes: rewrite(bytes, metadata: config { _ in })))

        // A tensor the model needs is missing; a shape that does not match the config.
        assertLoadFails(rewrite(bytes, tensors: { $0.removeAll { $0.name == "transformer.h.1.mlp.c_fc.weight" } }),
                        .format, "missing tensor 'transformer.h.1.mlp.c_fc.weight'", "model 'gpt'")
        assertLoadFails(rewrite(bytes, tensors: { tensors in
            tensors = tensors.map { $0.name == "transformer.wpe.weight" ? SafeTensor(name: $0.name, shape: [32, 16], data: $0.data) : $0 }
        }), .format, "transformer.wpe.weight", "[32,16]", "expected [16,32]")
        // Config inconsistent with the tensors: wider, fewer layers, more layers, another vocabulary.
        assertLoadFails(rewrite(bytes, metadata: config { $0["n_embd"] = "64" }), .format, "transformer.wte.weight", "expected")
        assertLoadFails(rewrite(bytes, metadata: config { $0["n_layer"] = "1" }), .format, "unexpected tensor 'transformer.h.1.")
        assertLoadFails(rewrite(bytes, metadata: config { $0["n_layer"] = "3" }), .format, "missing tensor 'transformer.h.2.")
        assertLoadFails(rewrite(bytes, metadata: config { $0["vocab_size"] = "99" }), .format, "transformer.wte.weight")
        // Unknown model kind; bad or missing config values.
        assertLoadFails(rewrite(bytes, metadata: { $0["model"] = "rnn9" }), .format, "unknown model kind 'rnn9'", "gpt")
        assertLoadFails(rewrite(bytes, metadata: { $0["model"] = nil }), .format, "'model'")
        assertLoadFails(rewrite(bytes, metadata: { $0["config"] = nil }), .format, "'config'")
        assertLoadFails(rewrite(bytes, metadata: { $0["config"] = "n_layer=2" }), .format, "not a JSON object")
        assertLoadFails(rewrite(bytes, metadata: config { $0["n_head"] = nil }), .format, "'n_head' is missing")
        assertLoadFails(rewrite(bytes, metadata: config { $0["n_head"] = #""two""# }), .format, "'n_head'")
        assertLoadFails(rewrite(bytes, metadata: config { $0["n_head"] = "2.5" }), .format, "'n_head'")
        assertLoadFails(rewrite(bytes, metadata: config { $0["n_head"] = "3" }), .format, "not a multiple of n_head 3")
        assertLoadFails(rewrite(bytes, metadata: config { $0["n_layer"] = "-1" }), .format, "n_layer = -1")
        assertLoadFails(rewrite(bytes, metadata: config { $0["n_layer"] = "[2]" }), .format, "'n_layer'", "an array")
        assertLoadFails(rewrite(bytes, metadata: config { $0["dropout"] = "1.5" }), .format, "dropout")
        assertLoadFails(rewrite(bytes, metadata: config { $0["n_kv_head"] = "2" }), .format, "unknown config key 'n_kv_head'")
        // Sizes far beyond what the file holds fail before anything is allocated.
        assertLoadFails(rewrite(bytes, metadata: config { $0["n_embd"] = "\(1 << 24)" }), .format, "needs at least")
        // Sizes beyond init's limits are refused as such (issue 19), naming the key and value.
        assertLoadFails(rewrite(bytes, metadata: config { $0["n_embd"] = "\(1 << 40)" }), .format, "n_embd = \(1 << 40) must be in")
        assertLoadFails(rewrite(bytes, metadata: config { $0["vocab_size"] = "\(Int.max)" }), .format, "vocab_size = \(Int.max) must be in")
        assertLoadFails(rewrite(bytes, metadata: config { $0["n_layer"] = "\(Int.max)" }), .format, "n_layer = \(Int.max) must be in")
        assertLoadFails(rewrite(bytes, metadata: config { $0["bias"] = "false" }), .format, "bias")
        XCTAssertNoThrow(try ModelCheckpoint.load(bytes: rewrite(bytes, metadata: config { $0["bias"] = "true" })))
        // Format version.
        assertLoadFails(rewrite(bytes, metadata: { $0["format_version"] = nil }), .format, "format_version")
        assertLoadFails(rewrite(bytes, metadata: { $0["format_version"] = "2" }), .format, "format_version '2'")
        assertLoadFails(rewrite(bytes, metadata: { $0["format"] = "other" }), .format, "format 'other'")
        // A vocabulary that does not decode, repeats a character, or does not match vocab_size.
        assertLoadFails(rewrite(bytes, metadata: { $0["tokenizer.characters"] = "abc" }), .format, "tokenizer.characters")
        assertLoadFails(rewrite(bytes, metadata: { $0["tokenizer.characters"] = #"["a"]"# }), .format, "tokenizer.characters")
        assertLoadFails(rewrite(bytes, metadata: { $0["tokenizer.characters"] = #""\ud800""# }), .format, "tokenizer.characters")
        assertLoadFails(rewrite(bytes, metadata: { $0["tokenizer.characters"] = #""aab""# }), .format, "appears twice")
        assertLoadFails(rewrite(bytes, metadata: { $0["tokenizer.characters"] = #""abc""# }), .format,
                        "3 characters", "vocab_size is \(tokenizer.vocabularySize)")
        // lm_head.weight must be the token embedding; nanoGPT's mask buffers are skipped, other
        // unknown tensors are not.
        assertLoadFails(rewrite(bytes, tensors: { tensors in
            let index = tensors.firstIndex { $0.name == "lm_head.weight" }!
            tensors[index].data[5] += 1
        }), .format, "'lm_head.weight' differs from 'transformer.wte.weight'")
        let withMask = rewrite(bytes, tensors: {
            $0.append(SafeTensor(name: "transformer.h.0.attn.bias", shape: [1, 1, 2, 2], data: [1, 0, 1, 1]))
            $0.append(SafeTensor(name: "transformer.h.1.attn.masked_bias", shape: [], data: [-1e4]))
            $0.removeAll { $0.name == "lm_head.weight" }
        })
        assertBitwiseEqual(parameterValues(try ModelCheckpoint.load(bytes: withMask).model), parameterValues(gpt))
        assertLoadFails(rewrite(bytes, tensors: { $0.append(SafeTensor(name: "transformer.h.x.attn.bias", shape: [1], data: [0])) }),
                        .format, "unexpected tensor 'transformer.h.x.attn.bias'")
        // Saving checks the tokenizer against the model.
        XCTAssertThrowsError(try ModelCheckpoint(model: gpt, tokenizer: try CharTokenizer(corpus: "ab")).bytes())
    }

    /// Hostile metadata: every config value replaced by extreme or malformed values, and random
    /// byte flips in the header, for each model kind. Loading must throw an `AttentionError` or
    /// succeed, never trap or allocate without bound.
    func testHostileCheckpointsNeverCrash() throws {
        let (gpt, tokenizer) = try smallGPT()
        let V = tokenizer.vocabularySize
        let models: [any Module] = [
            gpt,
            try RecurrentLM(config: RecurrentLMConfig(cell: .lstm, nLayer: 1, nEmbd: 8, hiddenSize: 8, contextLength: 8, vocabularySize: V), seed: 1),
            try ConvolutionalLM(config: ConvolutionalLMConfig(nLayer: 2, nEmbd: 8, kernelSize: 2, contextLength: 8, vocabularySize: V), seed: 1),
            try Seq2Seq(config: Seq2SeqConfig(nEncoderLayer: 1, nDecoderLayer: 1, nHead: 2, nEmbd: 8, maxSourceLength: 8,
                                              maxTargetLength: 8, vocabularySize: V), seed: 1),
        ]
        let values = ["-1", "0", "1", "2", "3", "7", "\(1 << 31)", "\(1 << 62)", "\(Int.max)", "-\(Int.max)",
                      "99999999999999999999", "1e3", "0.5", #""8""#, "true", "null", "[]", "{}"]
        var random = TestRandom(seed: 11)
        var outcomes = 0
        for model in models {
            let bytes = try ModelCheckpoint(model: model, tokenizer: tokenizer).bytes()
            let file = try SafeTensorsFile.read(bytes: bytes)
            guard case .object(let members) = try JSONValue.parse(Array(file.metadata["config"]!.utf8)) else {
                return XCTFail("config is not an object")
            }
            for target in members.map(\.key) {
                for value in values {
                    var metadata = file.metadata
                    metadata["config"] = "{" + members.map { member in
                        let literal: String
                        switch member.value {
                        case .number(let text): literal = text
                        case .string(let text): literal = #""\#(text)""#
                        default: literal = "null"
                        }
                        return #""\#(member.key)":\#(member.key == target ? value : literal)"#
                    }.joined(separator: ",") + "}"
                    outcomes += loadOutcome(try SafeTensorsFile.write(tensors: file.tensors, metadata: metadata))
                }
            }
            let headerLength = Int(bytes[0]) | Int(bytes[1]) << 8 | Int(bytes[2]) << 16
            for _ in 0..<100 {
                var mutated = bytes
                mutated[8 + random.int(headerLength)] ^= UInt8(1 + random.int(255))
                outcomes += loadOutcome(mutated)
            }
        }
        // The unchanged values ("2", "8", …) and flips inside tensor-free JSON whitespace load.
        XCTAssertGreaterThan(outcomes, 0)
    }

    /// 1 when `bytes` loads, 0 when it throws an `AttentionError`; fails the test otherwise.
    private func loadOutcome(_ bytes: [UInt8]) -> Int {
        do {
            _ = try ModelCheckpoint.load(bytes: bytes)
            return 1
        } catch is AttentionError {
            return 0
        } catch {
            XCTFail("not an AttentionError: \(error)")
            return 0
        }
    }

    func testErrorsFromAPathNameThePath() throws {
        let directory = try makeTemporaryDirectory()
        defer { removeTemporaryDirectory(directory) }
        let (gpt, _) = try smallGPT()
        let path = directory + "/bad.safetensors"
        let file = try SafeTensorsFile.read(bytes: try ModelCheckpoint(model: gpt).bytes())
        var metadata = file.metadata
        metadata["model"] = "cnn7"
        try SafeTensorsFile.write(tensors: file.tensors, metadata: metadata, to: path)
        XCTAssertThrowsError(try ModelCheckpoint.load(path: path)) { error in
            XCTAssertEqual((error as? AttentionError)?.kind, .format)
            XCTAssertTrue("\(error)".contains(path) && "\(error)".contains("cnn7"), "\(error)")
        }
        XCTAssertThrowsError(try ModelCheckpoint.load(path: directory + "/missing.safetensors")) {
            XCTAssertEqual(($0 as? AttentionError)?.kind, .io)
        }
    }

    // MARK: Helpers

    /// `bytes` re-written with its tensors and metadata edited.
    private func rewrite(_ bytes: [UInt8], tensors editTensors: (inout [SafeTensor]) -> Void = { _ in },
                         metadata editMetadata: (inout [String: String]) -> Void = { _ in }) -> [UInt8] {
        let file = try! SafeTensorsFile.read(bytes: bytes)
        var tensors = file.tensors, metadata = file.metadata
        editTensors(&tensors)
        editMetadata(&metadata)
        return try! SafeTensorsFile.write(tensors: tensors, metadata: metadata)
    }

    /// Asserts that loading `bytes` throws `AttentionError(kind, …)` whose message contains every
    /// fragment.
    private func assertLoadFails(_ bytes: [UInt8], _ kind: AttentionError.Kind, _ fragments: String...,
                                 file: StaticString = #filePath, line: UInt = #line) {
        assertAttentionError(try ModelCheckpoint.load(bytes: bytes), kind, fragments, file: file, line: line)
    }
}
