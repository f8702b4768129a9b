import AttentionEngine
import XCTest

final class ModelSeq2SeqTests: XCTestCase {
    private let tokenizer = try! CharTokenizer(corpus: DefaultData.dialoguePairs.map { $0.question + $0.answer }.joined())

    private func config(layers: Int = 2, channels: Int = 64) -> Seq2SeqConfig {
        Seq2SeqConfig(nEncoderLayer: layers, nDecoderLayer: layers, nHead: 4, nEmbd: channels, maxSourceLength: 40,
                      maxTargetLength: 40, vocabularySize: tokenizer.vocabularySize)
    }

    /// Issue: trained on the default pairs, the model answers 你吃了吗？ with its trained answer
    /// (greedy decoding, fixed seeds).
    func testAnswersTrainedQuestion() throws {
        let model = try Seq2Seq(config: config(), seed: 3)
        let data = try PairBatches(pairs: DefaultData.dialoguePairs, tokenizer: tokenizer, maxSourceLength: 40, maxTargetLength: 40)
        let trainer = try Trainer(model: model, data: data,
                                  config: TrainingConfig(steps: 300, batchSize: 16, learningRate: 3e-3, warmupSteps: 20,
                                                         weightDecay: 0, evaluationInterval: 300))
        let history = try trainer.run()
        XCTAssertLessThan(history.last!.validationLoss!, 0.1)
        let answer = try model.answer(question: tokenizer.encode("你吃了吗？"), options: GenerationOptions(maxNewTokens: 30))
        XCTAssertTrue(answer.stoppedAtEOS)
        XCTAssertEqual(try tokenizer.decode(answer.tokens), "吃了。")
    }

    /// Cached and uncached answers give the same tokens and logits within 1e-5.
    func testCachedAndUncachedDecodingAgree() throws {
        let model = try Seq2Seq(config: config(), seed: 5)
        let question = tokenizer.encode("你今天忙吗？")
        var options = GenerationOptions(maxNewTokens: 25, sampling: SamplingOptions(temperature: 1.2, topK: 20, seed: 2),
                                        stopAtEOS: false, recordLogits: true)
        let cached = try model.answer(question: question, options: options)
        options.useCache = false
        let uncached = try model.answer(question: question, options: options)
        XCTAssertEqual(cached.tokens, uncached.tokens)
        XCTAssertEqual(cached.tokens.count, 25)
        for (a, b) in zip(cached.logits, uncached.logits) { assertClose(a, b, absolute: 1e-5) }
    }

    /// Teacher-forced logits of a short pair do not change when it is padded in a batch with a
    /// longer pair (the source padding mask and the ignored PAD targets work), within 1e-5.
    func testPaddingDoesNotChangeTheShortRow() throws {
        let model = try Seq2Seq(config: config(layers: 1, channels: 32), seed: 7)
        let pairs = [DialoguePair(question: "你吃了吗？", answer: "吃了。"),
                     DialoguePair(question: "你今天忙不忙，晚上有空吗？", answer: "今天不太忙，晚上有空。")]
        let data = try PairBatches(pairs: pairs, tokenizer: tokenizer, maxSourceLength: 40, maxTargetLength: 40)
        let both = data.batch(indices: [0, 1]), alone = data.batch(indices: [0])
        XCTAssertEqual(both.sourcePaddingMask.prefix(both.sourceLength).filter { $0 }.count, both.sourceLength - 5)
        let padded = try model.logits(both).scalars, single = try model.logits(alone).scalars
        let V = tokenizer.vocabularySize
        for t in 0..<alone.targetLength {
            assertClose(Array(padded[t * V..<(t + 1) * V]), Array(single[t * V..<(t + 1) * V]), absolute: 1e-5)
        }
        XCTAssertEqual(Array(both.targets.prefix(both.targetLength)),
                       tokenizer.encode("吃了。") + [CharTokenizer.eos] + Array(repeating: CharTokenizer.pad, count: both.targetLength - 4))
        XCTAssertEqual(Array(both.decoderInput.prefix(4)), [CharTokenizer.bos] + tokenizer.encode("吃了。"))
    }

    func testAttentionInspection() throws {
        let model = try Seq2Seq(config: config(layers: 2, channels: 32), seed: 9)
        let question = tokenizer.encode("你吃了吗？"), answer = tokenizer.encode("吃了。")
        let maps = try model.inspectAttention(question: question, answer: answer)
        // Through the kind-independent protocol: the same maps; without an answer, those of the
        // model's own greedy answer.
        let inspecting: any AttentionInspecting = model
        XCTAssertEqual(try inspecting.inspectAttention(text: question, answer: answer).map(\.weights.scalars),
                       maps.map(\.weights.scalars))
        let greedy = try model.answer(question: question, options: GenerationOptions(maxNewTokens: model.config.maxTargetLength - 1))
        let greedyAnswer = greedy.stoppedAtEOS ? Array(greedy.tokens.dropLast()) : greedy.tokens
        XCTAssertEqual(try inspecting.inspectAttention(text: question, answer: nil).map(\.weights.scalars),
                       try model.inspectAttention(question: question, answer: greedyAnswer).map(\.weights.scalars))
        XCTAssertEqual(inspecting.inspectableTextLength, model.config.maxSourceLength)
        XCTAssertEqual(inspecting.inspectableAnswerLength, model.config.maxTargetLength - 1)
        XCTAssertEqual(maps.map(\.kind), [.encoderSelfAttention, .encoderSelfAttention, .selfAttention, .selfAttention,
                                          .crossAttention, .crossAttention])
        for map in maps {
            let expected = map.kind == .encoderSelfAttention ? [4, 5, 5] : map.kind == .selfAttention ? [4, 4, 4] : [4, 4, 5]
            XCTAssertEqual(map.weights.shape, expected)
            for head in 0..<4 {
                for (i, row) in map.rows(head: head).enumerated() {
                    XCTAssertEqual(row.reduce(0, +), 1, accuracy: 1e-5)
                    if map.kind == .selfAttention { XCTAssertEqual(row[(i + 1)...].reduce(0, +), 0) }
                }
            }
        }
        // During cached generation each step has one query; it sees what the teacher-forced
        // inspection's last row sees (within 1e-5).
        let context = try model.makeDecodingContext(question: question, cached: true)
        context.recordsAttention = true
        _ = try context.append([CharTokenizer.bos] + answer.dropLast())
        _ = try context.append([answer.last!])
        let step = context.lastAttention
        XCTAssertEqual(step.map(\.kind), [.selfAttention, .selfAttention, .crossAttention, .crossAttention])
        for (map, reference) in zip(step, maps.dropFirst(2)) {
            XCTAssertEqual(map.weights.shape, [4, 1, reference.keyLength])
            for head in 0..<4 { assertClose(map.rows(head: head)[0], reference.rows(head: head)[3], absolute: 1e-5) }
        }
    }

    func testPairBatchErrorsAndConfigValidation() throws {
        XCTAssertThrowsError(try PairBatches(pairs: [], tokenizer: tokenizer, maxSourceLength: 8, maxTargetLength: 8))
        XCTAssertThrowsError(try PairBatches(pairs: [DialoguePair(question: "你吃了吗？", answer: "吃了")], tokenizer: tokenizer,
                                             maxSourceLength: 4, maxTargetLength: 8)) {
            XCTAssertTrue("\($0)".contains("pair 1"))
        }
        XCTAssertThrowsError(try PairBatches(pairs: [DialoguePair(question: "你", answer: "吃了")], tokenizer: tokenizer,
                                             maxSourceLength: 4, maxTargetLength: 2))  // no room for EOS
        var bad = config()
        bad.nHead = 3
        XCTAssertThrowsError(try Seq2Seq(config: bad, seed: 1))
        bad = config()
        bad.maxTargetLength = 0
        XCTAssertThrowsError(try Seq2Seq(config: bad, seed: 1))
        let model = try Seq2Seq(config: config(layers: 1, channels: 32), seed: 1)
        XCTAssertThrowsError(try model.answer(question: [], options: GenerationOptions(maxNewTokens: 3)))
        XCTAssertThrowsError(try model.answer(question: [Int32(tokenizer.vocabularySize)], options: GenerationOptions(maxNewTokens: 3)))
        // At most max_target_length − 1 tokens: the longest answer training allows (answer + EOS).
        XCTAssertEqual(try model.answer(question: [5], options: GenerationOptions(maxNewTokens: 100, stopAtEOS: false)).tokens.count, 39)
    }

    func testJSONLPairs() throws {
        let text = """
        {"question": "你吃了吗？", "answer": "吃了。"}

        {"answer": "好的。", "question": "一起走吧？", "id": 3}
        """
        XCTAssertEqual(try DialoguePair.parseJSONL(text), [DialoguePair(question: "你吃了吗？", answer: "吃了。"),
                                                          DialoguePair(question: "一起走吧？", answer: "好的。")])
        let cases = [("{\"question\": \"a\", \"answer\": \"b\"}\n{\"question\": \"a\"}", "line 2"),
                     ("\n\n[1, 2]", "line 3"),
                     ("{\"question\": \"a\", \"answer\": \"\"}", "line 1"),
                     ("{\"question\": \"a\", \"answer\": 5}", "line 1"),
                     ("{\"question\": \"a\",", "line 1"),
                     ("", "no pairs")]
        for (input, expected) in cases {
            XCTAssertThrowsError(try DialoguePair.parseJSONL(input)) {
                XCTAssertTrue("\($0)".contains(expected), "\($0)")
                XCTAssertEqual(($0 as? AttentionError)?.kind, .format)
            }
        }
    }
}
