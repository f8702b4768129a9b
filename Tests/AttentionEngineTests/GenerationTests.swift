import AttentionEngine
import XCTest

final class GenerationTests: XCTestCase {
    private func model(seed: UInt64 = 5, contextLength: Int = 48) throws -> GPT {
        try GPT(config: GPTConfig(nLayer: 2, nHead: 3, nEmbd: 48, contextLength: contextLength, vocabularySize: 29), seed: seed)
    }

    /// Issue: cached and uncached generation give the same tokens and logits within 1e-5
    /// (sampled with temperature, top-k and top-p so many different ids are exercised).
    func testCachedAndUncachedGenerationAgree() throws {
        let gpt = try model()
        let prompt: [Int32] = [1, 7, 9, 11, 4]
        for sampling in [SamplingOptions.greedy, SamplingOptions(temperature: 1.5, topK: 10, topP: 0.95, seed: 3)] {
            var options = GenerationOptions(maxNewTokens: 40, sampling: sampling, stopAtEOS: false, recordLogits: true)
            let cached = try generate(model: gpt, prompt: prompt, options: options)
            options.useCache = false
            let uncached = try generate(model: gpt, prompt: prompt, options: options)
            XCTAssertEqual(cached.tokens, uncached.tokens)
            XCTAssertEqual(cached.tokens.count, 40)
            for (a, b) in zip(cached.logits, uncached.logits) { assertClose(a, b, absolute: 1e-5) }
        }
    }

    /// A cache longer than a key tile (64) and a decode segment (256): a 70-token prompt (the
    /// tiled forward over the cache) then single-token steps up to 300 cached tokens agree with
    /// the uncached forward within 1e-5.
    func testLongCacheMatchesUncached() throws {
        let gpt = try model(seed: 8, contextLength: 300)
        let prompt = (0..<70).map { Int32($0 * 7 % 29) }
        var options = GenerationOptions(maxNewTokens: 230, stopAtEOS: false, recordLogits: true)
        let cached = try generate(model: gpt, prompt: prompt, options: options)
        options.useCache = false
        let uncached = try generate(model: gpt, prompt: prompt, options: options)
        XCTAssertEqual(cached.tokens, uncached.tokens)
        for (a, b) in zip(cached.logits, uncached.logits) { assertClose(a, b, absolute: 1e-5) }
    }

    /// Past block_size the GPT context rebuilds its cache in place from the last block_size/2
    /// tokens (positions restart at 0): after every rebuild, and the steps that follow it, the
    /// logits are the last row of a plain forward over that window (within 1e-5).
    func testCacheReusedAfterRebuild() throws {
        let gpt = try model(contextLength: 8)
        let context = try gpt.makeDecodingContext(cached: true)
        var window: [Int32] = []
        var all: [Int32] = []
        for step in 0..<21 {
            let token = Int32(step * 5 % 29)
            all.append(token)
            window = window.count + 1 > 8 ? Array(all.suffix(4)) : window + [token]
            let logits = try context.append([token])
            let full = try gpt.logits(tokens: window, batch: 1, time: window.count).scalars
            assertClose(logits, Array(full[(window.count - 1) * 29..<window.count * 29]), absolute: 1e-5,
                        "step \(step)")
        }
    }

    /// The uncached context's logits are the last row of a plain forward pass.
    func testFirstStepLogitsMatchForward() throws {
        let gpt = try model()
        let prompt: [Int32] = [3, 8, 2, 17]
        let result = try generate(model: gpt, prompt: prompt,
                                  options: GenerationOptions(maxNewTokens: 1, recordLogits: true))
        let full = try gpt.logits(tokens: prompt, batch: 1, time: 4).scalars
        assertClose(result.logits[0], Array(full[3 * 29..<4 * 29]), absolute: 1e-5)
        XCTAssertEqual(Int(result.tokens[0]), result.logits[0].indices.max { result.logits[0][$0] < result.logits[0][$1] })
    }

    /// `onToken` sees every token as it is drawn, in order, and stops generation when it
    /// returns false (the token it saw is the last of the result).
    func testOnTokenStreamsAndStops() throws {
        let gpt = try model()
        let options = GenerationOptions(maxNewTokens: 12, sampling: SamplingOptions(temperature: 1, seed: 9), stopAtEOS: false)
        var streamed: [Int32] = []
        let full = try generate(model: gpt, prompt: [4, 5], options: options) { streamed.append($0); return true }
        XCTAssertEqual(streamed, full.tokens)
        XCTAssertEqual(full.tokens.count, 12)
        var seen = 0
        let stopped = try generate(model: gpt, prompt: [4, 5], options: options) { _ in seen += 1; return seen < 5 }
        XCTAssertEqual(stopped.tokens, Array(full.tokens.prefix(5)))
    }

    func testStopsAtEOSOrLimitAndPastBlockSize() throws {
        let gpt = try model(contextLength: 8)
        // Past block_size both contexts keep going (window / rebuilt cache).
        for useCache in [true, false] {
            let long = try generate(model: gpt, prompt: [1, 5],
                                    options: GenerationOptions(maxNewTokens: 30, stopAtEOS: false, useCache: useCache))
            XCTAssertEqual(long.tokens.count, 30)
        }
        // A prompt longer than block_size keeps its last block_size tokens in both contexts.
        let longPrompt = (0..<20).map { Int32($0 % 29) }
        var options = GenerationOptions(maxNewTokens: 1, recordLogits: true)
        let cached = try generate(model: gpt, prompt: longPrompt, options: options)
        options.useCache = false
        let uncached = try generate(model: gpt, prompt: longPrompt, options: options)
        assertClose(cached.logits[0], uncached.logits[0], absolute: 1e-5)
        // A model that always predicts EOS (ln_f outputs its bias e₀, wte row EOS = 5·e₀) stops
        // after one token.
        let eosModel = try model()
        try eosModel.transformer.lnF.weight.assign(Tensor.zeros([48]))
        var bias = try Tensor.zeros([48])
        bias[flat: 0] = 1
        try eosModel.transformer.lnF.bias.assign(bias)
        var table = try Tensor.zeros([29, 48])
        table[flat: Int(CharTokenizer.eos) * 48] = 5
        try eosModel.transformer.wte.weight.assign(table)
        let result = try generate(model: eosModel, prompt: [1], options: GenerationOptions(maxNewTokens: 10))
        XCTAssertEqual(result.tokens, [CharTokenizer.eos])
        XCTAssertTrue(result.stoppedAtEOS)
        XCTAssertThrowsError(try generate(model: gpt, prompt: [], options: GenerationOptions(maxNewTokens: 1)))
        XCTAssertThrowsError(try generate(model: gpt, prompt: [99], options: GenerationOptions(maxNewTokens: 1)))
    }

    func testSamplerRules() throws {
        let logits: [Float] = [0.5, 3, -1, 3, 2]
        var greedy = try Sampler(.greedy)
        XCTAssertEqual(try greedy.sample(logits), 1, "first of the tied maxima")
        var top1 = try Sampler(SamplingOptions(temperature: 2, topK: 1, seed: 1))
        var tinyP = try Sampler(SamplingOptions(temperature: 1, topP: 1e-6, seed: 1))
        for _ in 0..<20 {
            XCTAssertEqual(try top1.sample(logits), 1)
            XCTAssertEqual(try tinyP.sample(logits), 1)
        }
        // top-k 3 keeps {1, 3, 4}; the empirical frequencies follow softmax over them (±0.03 at n = 4000).
        var sampler = try Sampler(SamplingOptions(temperature: 1, topK: 3, seed: 7))
        var counts = [Int](repeating: 0, count: 5)
        for _ in 0..<4000 { counts[Int(try sampler.sample(logits))] += 1 }
        XCTAssertEqual(counts[0] + counts[2], 0)
        let e3 = exp(Double(3)), e2 = exp(Double(2))
        XCTAssertEqual(Double(counts[4]) / 4000, e2 / (2 * e3 + e2), accuracy: 0.03)
        // Same seed, same draws.
        var a = try Sampler(SamplingOptions(temperature: 1, seed: 11)), b = try Sampler(SamplingOptions(temperature: 1, seed: 11))
        for _ in 0..<50 { XCTAssertEqual(try a.sample(logits), try b.sample(logits)) }
        XCTAssertThrowsError(try Sampler(SamplingOptions(temperature: -1)))
        XCTAssertThrowsError(try Sampler(SamplingOptions(topK: 0)))
        XCTAssertThrowsError(try Sampler(SamplingOptions(topP: 0)))
    }

    /// Inspection: one (NH,T,T) map per layer, rows are distributions, causal; a cached
    /// generation step's weights equal the last row of the prompt inspection.
    func testAttentionInspection() throws {
        let gpt = try model()
        let prompt: [Int32] = [1, 6, 12, 6, 9, 20, 3]
        let maps = try gpt.inspectAttention(prompt: prompt)
        XCTAssertEqual(maps.count, 2)
        let inspecting: any AttentionInspecting = gpt
        XCTAssertEqual(try inspecting.inspectAttention(text: prompt, answer: nil).map(\.weights.scalars),
                       maps.map(\.weights.scalars))
        XCTAssertNil(inspecting.inspectableAnswerLength)
        XCTAssertThrowsError(try inspecting.inspectAttention(text: prompt, answer: [5]))
        for map in maps {
            XCTAssertEqual(map.weights.shape, [3, 7, 7])
            for head in 0..<3 {
                for (i, row) in map.rows(head: head).enumerated() {
                    XCTAssertEqual(row.reduce(0, +), 1, accuracy: 1e-5)
                    XCTAssertEqual(row[(i + 1)...].reduce(0, +), 0)
                }
            }
        }
        let context = try gpt.makeDecodingContext(cached: true)
        context.recordsAttention = true
        _ = try context.append(Array(prompt.dropLast()))
        _ = try context.append([prompt.last!])
        let step = context.lastAttention
        XCTAssertEqual(step.count, 2)
        for (layer, map) in step.enumerated() {
            XCTAssertEqual(map.weights.shape, [3, 1, 7])
            for head in 0..<3 { assertClose(map.rows(head: head)[0], maps[layer].rows(head: head)[6], absolute: 1e-5) }
        }
    }

    func testGenerationIsBitwiseIdenticalAcrossThreadCounts() throws {
        let gpt = try model()
        let runs = withThreadCounts { () -> [Float] in
            let result = try! generate(model: gpt, prompt: [1, 2, 3],
                                       options: GenerationOptions(maxNewTokens: 8, stopAtEOS: false, recordLogits: true))
            return result.logits.flatMap { $0 }
        }
        assertBitwiseEqual(runs[0], runs[1])
        assertBitwiseEqual(runs[0], runs[2])
    }
}
