import AttentionEngine
import XCTest

/// BF16 / Q8 weights: the kernels against a Double reference on the same widened weights, the
/// quantization error bounds, thread-count independence, and the errors for bad weights.
final class QuantizedLinearTests: XCTestCase {
    private func randomValues(_ count: Int, seed: UInt64) -> [Float] {
        var rng = Random(seed: seed)
        return (0..<count).map { _ in rng.nextUniform() * 2 - 1 }
    }

    /// Odd shapes hit every tail: rows not a multiple of 4 (a padded last quad), IN with and
    /// without a partial chunk of 32 (BF16 only: Q8 needs whole blocks).
    func testKernelsMatchTheDoubleReference() throws {
        for isa in testedISAs {
            for format in WeightFormat.allCases {
                let shapes = [(1, 32, 1), (7, 96, 2), (13, 160, 1), (37, 768, 3), (5, 64, 1)]
                    + (format == .bf16 ? [(6, 50, 1), (9, 200, 2), (3, 17, 1), (4, 7, 1)] : [])
                for (n, k, inputRows) in shapes {
                    let weight = try Tensor(shape: [n, k], values: randomValues(n * k, seed: UInt64(n * k)))
                    let bias = try Tensor(shape: [n], values: randomValues(n, seed: 9))
                    let xValues = randomValues(inputRows * k, seed: 3)
                    let x = try Tensor(shape: [inputRows, k], values: xValues)
                    let packed = try QuantizedMatrix(quantizing: weight, as: format)
                    let y = try packed.linear(x, bias: bias, isa: isa).scalars
                    let reference = packed.linearNaive(xValues, inputRows: inputRows, bias: bias.scalars)
                    for (got, want) in zip(y, reference) {
                        // FP32 sums of k products of magnitude ≤ 1: |error| ≤ k · 2⁻²³ · few.
                        XCTAssertEqual(got, want, accuracy: Float(k) * 1e-6, "\(isa) \(format) n=\(n) k=\(k)")
                    }
                }
            }
        }
    }

    /// The row-quad layout the kernels read gives back exactly the row-major values it was made
    /// from, for every shape of tail (rows mod 4, IN mod 32).
    func testRowQuadLayoutRoundTrips() throws {
        for (n, k) in [(1, 1), (3, 17), (4, 32), (5, 33), (6, 64), (9, 95), (11, 128)] {
            let bits = (0..<n * k).map { UInt16(truncatingIfNeeded: $0 &* 40_503 &+ 7) }
            let bf16 = try QuantizedMatrix(bf16Bits: bits, rows: n, columns: k)
            XCTAssertEqual(bf16.bf16Bits, bits, "(\(n), \(k))")
            XCTAssertEqual(bf16.byteCount, (n + 3) / 4 * 4 * k * 2, "padded to whole quads")
            XCTAssertEqual(bf16.quants, [])
            guard k % 32 == 0 else { continue }
            let quants = (0..<n * k).map { Int8(truncatingIfNeeded: $0 % 255 - 127) }
            let scales = (0..<n * k / 32).map { Float($0) * 0.25 }
            let q8 = try QuantizedMatrix(quants: quants, scales: scales, rows: n, columns: k)
            XCTAssertEqual(q8.quants, quants, "(\(n), \(k))")
            XCTAssertEqual(q8.scales, scales, "(\(n), \(k))")
            XCTAssertEqual(q8.bf16Bits, [])
            let widened = q8.dequantized().scalars
            for p in widened.indices { XCTAssertEqual(widened[p], scales[p / 32] * Float(quants[p])) }
        }
    }

    /// A matrix with no columns widens and looks up rows of nothing, without touching memory.
    func testNoColumns() throws {
        let empty = try QuantizedMatrix(bf16Bits: [], rows: 3, columns: 0)
        XCTAssertEqual(try empty.rows([1, 2], shape: [2]).shape, [2, 0])
        XCTAssertEqual(empty.dequantized().shape, [3, 0])
        XCTAssertEqual(try empty.linear(Tensor(shape: [1, 0], values: []), bias: nil).scalars, [0, 0, 0])
    }

    func testQuantizationErrorIsBounded() throws {
        let (n, k) = (16, 256)
        let values = randomValues(n * k, seed: 5)
        let weight = try Tensor(shape: [n, k], values: values)
        let bf16 = try QuantizedMatrix(quantizing: weight, as: .bf16).dequantized().scalars
        for (w, narrowed) in zip(values, bf16) {
            XCTAssertLessThanOrEqual(abs(w - narrowed), abs(w) * 0x1p-8)
        }
        let q8 = try QuantizedMatrix(quantizing: weight, as: .q8)
        XCTAssertEqual(q8.byteCount, n * k + n * k / 32 * 4)
        let widened = q8.dequantized().scalars
        for p in values.indices {
            XCTAssertLessThanOrEqual(abs(values[p] - widened[p]), q8.scales[p / 32] * 0.5 * (1 + 1e-6))
        }
        // The largest weight of each block is exact up to rounding of its scale.
        XCTAssertEqual(q8.quants.map { abs(Int($0)) }.max(), 127)
        XCTAssertEqual(bfloat16Bits(1 + 0x1p-8), 0x3F80, "ties round to even")
        XCTAssertEqual(bfloat16Bits(1 + 0x1p-8 + 0x1p-20), 0x3F81)
    }

    func testBitwiseIndependentOfThreadCount() throws {
        let (n, k) = (301, 512)
        let weight = try Tensor(shape: [n, k], values: randomValues(n * k, seed: 11))
        let x = try Tensor(shape: [1, k], values: randomValues(k, seed: 12))
        for format in WeightFormat.allCases {
            let packed = try QuantizedMatrix(quantizing: weight, as: format)
            let runs = withThreadCounts { try! packed.linear(x, bias: nil).scalars.map(\.bitPattern) }
            XCTAssertEqual(runs[0], runs[1], "\(format)")
            XCTAssertEqual(runs[0], runs[2], "\(format)")
        }
    }

    func testBadWeightsAreClearErrors() throws {
        let quants = [Int8](repeating: 1, count: 2 * 64)
        let scales = [Float](repeating: 0.5, count: 4)
        XCTAssertNoThrow(try QuantizedMatrix(quants: quants, scales: scales, rows: 2, columns: 64))
        func message(_ body: () throws -> Any) -> String {
            do { _ = try body(); return "no error" } catch { return "\(error)" }
        }
        XCTAssertTrue(message { try QuantizedMatrix(quants: quants, scales: [0.5, 0.5, 0.5], rows: 2, columns: 64) }
            .contains("scales"))
        XCTAssertTrue(message { try QuantizedMatrix(quants: quants, scales: [0.5, .nan, 0.5, 0.5], rows: 2, columns: 64) }
            .contains("finite"))
        XCTAssertTrue(message { try QuantizedMatrix(quants: quants, scales: [0.5, .infinity, 0.5, 0.5], rows: 2, columns: 64) }
            .contains("finite"))
        XCTAssertTrue(message { try QuantizedMatrix(quants: quants, scales: [-1, 0.5, 0.5, 0.5], rows: 2, columns: 64) }
            .contains("finite"))
        XCTAssertTrue(message { try QuantizedMatrix(quants: [Int8](repeating: 1, count: 2 * 48), scales: scales, rows: 2, columns: 48) }
            .contains("does not divide"))
        XCTAssertTrue(message { try QuantizedMatrix(quants: quants, scales: scales, rows: 3, columns: 64) }
            .contains("values for"))
        XCTAssertTrue(message { try QuantizedMatrix(quants: [-128] + quants.dropFirst(), scales: scales, rows: 2, columns: 64) }
            .contains("-128"))
        XCTAssertTrue(message { try QuantizedMatrix(quantizing: Tensor(shape: [1, 32], values: [.nan] + Array(repeating: 0, count: 31)), as: .q8) }
            .contains("nan"))
        XCTAssertTrue(message { try QuantizedMatrix(quantizing: Tensor(shape: [2, 40], values: Array(repeating: 1, count: 80)), as: .q8) }
            .contains("does not divide"))
        let packed = try QuantizedMatrix(quants: quants, scales: scales, rows: 2, columns: 64)
        XCTAssertThrowsError(try packed.linear(Tensor(shape: [1, 63], values: Array(repeating: 1, count: 63)), bias: nil))
    }

    /// Linear.quantize(to:) routes the forward pass through the narrowed weights (the same values
    /// as multiplying by the dequantized matrix) and refuses to record a gradient.
    func testQuantizedLinearLayerRunsForwardOnly() throws {
        var rng = Random(seed: 21)
        let layer = try Linear(inFeatures: 64, outFeatures: 10, rng: &rng)
        let x = try Tensor(shape: [3, 64], values: randomValues(3 * 64, seed: 22))
        try layer.quantize(to: .q8)
        let packed = try XCTUnwrap(layer.quantizedWeight)
        let y = try Autograd.withNoGrad { try layer(x) }.scalars
        let reference = packed.linearNaive(x.scalars, inputRows: 3, bias: layer.bias!.value.scalars)
        for (got, want) in zip(y, reference) { XCTAssertEqual(got, want, accuracy: 1e-4) }
        let tracked = try Tensor(shape: [1, 64], values: randomValues(64, seed: 23)).requiringGrad()
        XCTAssertThrowsError(try layer(tracked * 2)) { XCTAssertTrue("\($0)".contains("only run forward")) }
    }

    /// A GPT trained on the default corpus, then narrowed: validation loss and greedy generations
    /// against FP32, and the trainer's refusal.
    func testTrainedGPTKeepsItsAccuracy() throws {
        let (tokenizer, data) = try defaultCorpusBatches(length: 64)
        let config = GPTConfig(nLayer: 2, nHead: 4, nEmbd: 64, contextLength: 64, vocabularySize: tokenizer.vocabularySize)
        let gpt = try GPT(config: config, seed: 1)
        let trainer = try Trainer(model: gpt, data: data,
                                  config: TrainingConfig(steps: 150, batchSize: 16, learningRate: 3e-3, warmupSteps: 5,
                                                         evaluationInterval: 150, evaluationBatches: 8))
        _ = try trainer.run()
        let lossF32 = try trainer.evaluate()
        let prompts = ["学而", "子曰", "天下", "君子", "道之", "人之", "不知", "有朋"]
        func greedy(_ model: GPT) throws -> [[Int32]] {
            try prompts.map { prompt in
                try generate(model: model, prompt: tokenizer.encode(prompt),
                             options: GenerationOptions(maxNewTokens: 32, stopAtEOS: false)).tokens
            }
        }
        let tokensF32 = try greedy(gpt)
        for (format, bound) in [(WeightFormat.bf16, Float(0.002)), (.q8, 0.01)] {
            let copy = try GPT(config: config, seed: 1)
            for (target, source) in zip(copy.parameters, gpt.parameters) { try target.assign(source.value) }
            try copy.quantize(to: format)
            XCTAssertEqual(copy.weightFormat, format)
            // The same batches as `trainer.evaluate()` (same seed), through the narrowed copy.
            let validation = Trainer.losses(of: copy, on: data, batchSize: 16).validation
            let loss = try trainer.evaluate { rng in
                var total: Float = 0
                for _ in 0..<8 { total += try validation(&rng) }
                return total / 8
            }
            let change = abs(loss - lossF32) / lossF32
            print("quantized GPT \(format): validation loss \(lossF32) → \(loss) (\(change * 100) %)")
            XCTAssertLessThanOrEqual(change, bound, "\(format)")
            let tokens = try greedy(copy)
            let equal = zip(tokens, tokensF32).filter { $0 == $1 }.count
            print("quantized GPT \(format): \(equal)/\(prompts.count) greedy generations of 32 tokens equal FP32")
            XCTAssertGreaterThanOrEqual(equal, prompts.count / 2, "\(format)")
            XCTAssertThrowsError(try Trainer(model: copy, data: data, config: TrainingConfig(steps: 1, batchSize: 2))) {
                XCTAssertTrue("\($0)".contains("cannot be trained"))
            }
        }
    }
}
