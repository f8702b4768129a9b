import AttentionEngine
import Foundation
import XCTest

/// The BERT encoder's forward pass and pooling on a small random model, against a naive
/// re-implementation in Double written from the equations (post-LN BERT, exact GELU, mean
/// pooling, L2 normalization); and the determinism the batching promises.
final class SentenceEncoderTests: XCTestCase {
    private let folder = BertTestFolder()
    private let texts = ["the cat sat on the mat", "", "a dog", "hello world!", "running dogs and cats",
                         "你吃了吗?", "un aff able x x x 1 2 3", "the", "big red dog , small blue cat .",
                         "the cat sat on the mat the cat sat on the mat the cat sat"]

    func testMatchesANaiveDoubleReference() throws {
        let encoder = try folder.load()
        let embedded = try encoder.embed(texts, batchSize: 4)
        let raw = try encoder.embed(texts, batchSize: 4, normalize: false)
        for (i, text) in texts.enumerated() {
            let (pooled, _) = naiveForward(encoder.tokenize(text))
            let norm = pooled.reduce(0) { $0 + $1 * $1 }.squareRoot()
            assertClose(Array(raw[i * 32..<(i + 1) * 32]), pooled.map { Float($0) }, absolute: 2e-5, "text \(i) raw")
            assertClose(Array(embedded[i * 32..<(i + 1) * 32]), pooled.map { Float($0 / norm) }, absolute: 2e-6,
                        "text \(i) normalized")
        }
    }

    func testEmptyStringEmbedsClassifierAndSeparator() throws {
        let encoder = try folder.load()
        XCTAssertEqual(encoder.tokenize(""), [2, 3])
        XCTAssertEqual(try encoder.embed([]), [])
        assertBitwiseEqual(try encoder.embed([""]), try encoder.embed(tokenized: [[2, 3]]))
    }

    func testResultsDoNotDependOnBatchCompositionOrThreadCount() throws {
        let encoder = try folder.load()
        let alone = try texts.flatMap { try encoder.embed([$0], batchSize: 1) }
        let runs = withThreadCounts { () -> [[Float]] in
            var results: [[Float]] = []
            for batchSize in [1, 3, 32] {
                results.append((try? encoder.embed(texts, batchSize: batchSize)) ?? [])
                // Reversed input: each text lands in another batch, with other partners.
                let reversed = (try? encoder.embed(texts.reversed(), batchSize: batchSize)) ?? []
                results.append((0..<texts.count).reversed().flatMap { Array(reversed[$0 * 32..<($0 + 1) * 32]) })
            }
            return results
        }
        for (runIndex, results) in runs.enumerated() {
            for (index, result) in results.enumerated() {
                assertBitwiseEqual(result, alone, "thread run \(runIndex), variant \(index)")
            }
        }
    }

    func testAttentionMapsMatchTheNaiveProbabilities() throws {
        let encoder = try folder.load()
        let (tokens, maps) = try encoder.attention("the cat sat on the mat")
        XCTAssertEqual(tokens, encoder.tokenize("the cat sat on the mat"))
        let (_, probabilities) = naiveForward(tokens)
        XCTAssertEqual(maps.count, 2)
        for (layer, map) in maps.enumerated() {
            XCTAssertEqual(map.kind, .encoderSelfAttention)
            XCTAssertEqual(map.layer, layer)
            XCTAssertEqual(map.weights.shape, [4, tokens.count, tokens.count])
            assertClose(map.weights.scalars, probabilities[layer].map { Float($0) }, absolute: 1e-5, "layer \(layer)")
        }
    }

    func testRejectsBadBatchSizesAndIds() throws {
        let encoder = try folder.load()
        assertAttentionError(try encoder.embed(["a"], batchSize: 0), .invalidArgument, ["batch size 0"])
        assertAttentionError(try encoder.embed(tokenized: [[2, 40, 3]]), .invalidArgument, ["id 40"])
        assertAttentionError(try encoder.embed(tokenized: [[]]), .invalidArgument, ["0 tokens"])
        assertAttentionError(try encoder.embed(tokenized: [[Int32](repeating: 5, count: 25)]), .invalidArgument, ["25 tokens"])
    }

    func testTanhGELUConfigUsesTheTanhApproximation() throws {
        var tanhFolder = folder
        tanhFolder.configJSON = folder.configJSON.replacingOccurrences(of: #""hidden_act": "gelu""#,
                                                                       with: #""hidden_act": "gelu_new""#)
        let raw = try tanhFolder.load().embed(["the cat sat"], normalize: false)
        let exact = try folder.load().embed(["the cat sat"], normalize: false)
        let tokens = try folder.load().tokenize("the cat sat")
        assertClose(raw, naiveForward(tokens, tanhGELU: true).pooled.map { Float($0) }, absolute: 2e-5)
        XCTAssertNotEqual(raw, exact)
    }

    // MARK: - naive reference

    /// The mean-pooled last hidden state (C) and each layer's attention probabilities
    /// (NH,T,T), computed in Double from the folder's tensors.
    private func naiveForward(_ ids: [Int32], tanhGELU: Bool = false) -> (pooled: [Double], probabilities: [[Double]]) {
        let (C, NH, F, T) = (32, 4, 48, ids.count)
        let HS = C / NH
        func w(_ name: String) -> [Double] { folder.tensors[name]!.data.map(Double.init) }
        func layerNorm(_ x: [Double], _ weight: [Double], _ bias: [Double]) -> [Double] {
            var out = x
            for t in 0..<T {
                let row = x[t * C..<(t + 1) * C]
                let mean = row.reduce(0, +) / Double(C)
                let variance = row.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(C)
                for c in 0..<C { out[t * C + c] = (x[t * C + c] - mean) / (variance + 1e-12).squareRoot() * weight[c] + bias[c] }
            }
            return out
        }
        func linear(_ x: [Double], _ weight: [Double], _ bias: [Double], inputs: Int, outputs: Int) -> [Double] {
            var out = [Double](repeating: 0, count: T * outputs)
            for t in 0..<T {
                for o in 0..<outputs {
                    var sum = bias[o]
                    for i in 0..<inputs { sum += x[t * inputs + i] * weight[o * inputs + i] }
                    out[t * outputs + o] = sum
                }
            }
            return out
        }
        let (wte, wpe, wtt) = (w("embeddings.word_embeddings.weight"), w("embeddings.position_embeddings.weight"),
                               w("embeddings.token_type_embeddings.weight"))
        var x = [Double](repeating: 0, count: T * C)
        for t in 0..<T {
            for c in 0..<C { x[t * C + c] = wte[Int(ids[t]) * C + c] + wpe[t * C + c] + wtt[c] }
        }
        x = layerNorm(x, w("embeddings.LayerNorm.weight"), w("embeddings.LayerNorm.bias"))
        var probabilities: [[Double]] = []
        for layer in 0..<2 {
            let p = "encoder.layer.\(layer)."
            let q = linear(x, w(p + "attention.self.query.weight"), w(p + "attention.self.query.bias"), inputs: C, outputs: C)
            let k = linear(x, w(p + "attention.self.key.weight"), w(p + "attention.self.key.bias"), inputs: C, outputs: C)
            let v = linear(x, w(p + "attention.self.value.weight"), w(p + "attention.self.value.bias"), inputs: C, outputs: C)
            var attended = [Double](repeating: 0, count: T * C)
            var layerProbabilities = [Double](repeating: 0, count: NH * T * T)
            for h in 0..<NH {
                for i in 0..<T {
                    var scores = (0..<T).map { j in
                        (0..<HS).reduce(0.0) { $0 + q[i * C + h * HS + $1] * k[j * C + h * HS + $1] } / Double(HS).squareRoot()
                    }
                    let maximum = scores.max()!
                    scores = scores.map { exp($0 - maximum) }
                    let total = scores.reduce(0, +)
                    for j in 0..<T {
                        let probability = scores[j] / total
                        layerProbabilities[(h * T + i) * T + j] = probability
                        for d in 0..<HS { attended[i * C + h * HS + d] += probability * v[j * C + h * HS + d] }
                    }
                }
            }
            probabilities.append(layerProbabilities)
            let projected = linear(attended, w(p + "attention.output.dense.weight"), w(p + "attention.output.dense.bias"),
                                   inputs: C, outputs: C)
            x = layerNorm(zip(x, projected).map(+), w(p + "attention.output.LayerNorm.weight"),
                          w(p + "attention.output.LayerNorm.bias"))
            let hidden = linear(x, w(p + "intermediate.dense.weight"), w(p + "intermediate.dense.bias"), inputs: C, outputs: F)
                .map { u in
                    tanhGELU ? 0.5 * u * (1 + tanh((2 / Double.pi).squareRoot() * (u + 0.044715 * u * u * u)))
                             : 0.5 * u * (1 + erf(u / 2.0.squareRoot()))
                }
            let out = linear(hidden, w(p + "output.dense.weight"), w(p + "output.dense.bias"), inputs: F, outputs: C)
            x = layerNorm(zip(x, out).map(+), w(p + "output.LayerNorm.weight"), w(p + "output.LayerNorm.bias"))
        }
        let pooled = (0..<C).map { c in (0..<T).reduce(0.0) { $0 + x[$1 * C + c] } / Double(T) }
        return (pooled, probabilities)
    }
}
