import AttentionEngine
import Foundation
import XCTest

/// MultiHeadAttention against a naive per-head computation in Double (self, causal, cross,
/// key padding), the returned weights, gradients by finite differences, and bad shapes.
final class EngineMultiHeadAttentionTests: XCTestCase {
    /// y (N, OUT) = x (N, IN)·Wᵀ + b in Double.
    private func affine(_ x: [Double], rows: Int, _ linear: (weight: [Float], bias: [Float])) -> [Double] {
        let out = linear.bias.count, inFeatures = linear.weight.count / out
        var y = [Double](repeating: 0, count: rows * out)
        for r in 0..<rows {
            for o in 0..<out {
                var s = Double(linear.bias[o])
                for i in 0..<inFeatures { s += x[r * inFeatures + i] * Double(linear.weight[o * inFeatures + i]) }
                y[r * out + o] = s
            }
        }
        return y
    }

    private func linear(_ module: MultiHeadAttention, _ name: String) -> (weight: [Float], bias: [Float]) {
        let p = Dictionary(uniqueKeysWithValues: module.namedParameters.map { ($0.name, $0.parameter.value.scalars) })
        return (p["\(name).weight"]!, p["\(name).bias"]!)
    }

    /// The reference: per batch and head, softmax(q·kᵀ/√HS with masked scores = −∞)·v, then c_proj.
    /// Returns the output (B,Tq,C) and the weights (B,NH,Tq,Tk).
    private func naive(_ module: MultiHeadAttention, _ x: Tensor, memory: Tensor?, mask: [Bool]?) -> ([Float], [Float]) {
        let (batch, tq, c, nh) = (x.shape[0], x.shape[1], module.channels, module.heads)
        let hs = c / nh
        let xs = x.scalars.map(Double.init)
        /// Columns `part·c ..< (part+1)·c` of each row of a (rows, parts·c) matrix.
        func columns(_ m: [Double], rows: Int, parts: Int, part: Int) -> [Double] {
            var result: [Double] = []
            for r in 0..<rows {
                let start = (r * parts + part) * c
                result += m[start..<(start + c)]
            }
            return result
        }
        let q, k, v: [Double]
        let tk: Int
        if let memory {
            tk = memory.shape[1]
            q = affine(xs, rows: batch * tq, linear(module, "q_proj"))
            let kv = affine(memory.scalars.map(Double.init), rows: batch * tk, linear(module, "kv_proj"))
            k = columns(kv, rows: batch * tk, parts: 2, part: 0)
            v = columns(kv, rows: batch * tk, parts: 2, part: 1)
        } else {
            tk = tq
            let qkv = affine(xs, rows: batch * tq, linear(module, "c_attn"))
            q = columns(qkv, rows: batch * tq, parts: 3, part: 0)
            k = columns(qkv, rows: batch * tq, parts: 3, part: 1)
            v = columns(qkv, rows: batch * tq, parts: 3, part: 2)
        }
        var merged = [Double](repeating: 0, count: batch * tq * c)
        var weights = [Float](repeating: 0, count: batch * nh * tq * tk)
        for b in 0..<batch {
            for h in 0..<nh {
                for i in 0..<tq {
                    var scores = (0..<tk).map { j -> Double in
                        if (module.causal && j > i) || (mask?[b * tk + j] ?? false) { return -.infinity }
                        var s = 0.0
                        for d in 0..<hs { s += q[(b * tq + i) * c + h * hs + d] * k[(b * tk + j) * c + h * hs + d] }
                        return s / Double(hs).squareRoot()
                    }
                    let m = scores.max()!
                    scores = scores.map { exp($0 - m) }
                    let z = scores.reduce(0, +)
                    for j in 0..<tk {
                        let p = scores[j] / z
                        weights[((b * nh + h) * tq + i) * tk + j] = Float(p)
                        for d in 0..<hs { merged[(b * tq + i) * c + h * hs + d] += p * v[(b * tk + j) * c + h * hs + d] }
                    }
                }
            }
        }
        return (affine(merged, rows: batch * tq, linear(module, "c_proj")).map(Float.init), weights)
    }

    func testMatchesNaivePerHeadComputation() throws {
        var rng = Random(seed: 1)
        for (causal, cross, masked) in [(false, false, false), (true, false, false), (false, false, true),
                                        (true, false, true), (false, true, false), (false, true, true)] {
            let module = try MultiHeadAttention(channels: 12, heads: 3, causal: causal, cross: cross, rng: &rng)
            let x = randomTensor([2, 5, 12], seed: 2)
            let memory = cross ? randomTensor([2, 7, 12], seed: 3) : nil
            let tk = cross ? 7 : 5
            // Mask the last key of batch 0 and keys 2, 3 of batch 1 (key 0 stays visible, so no
            // causal row is fully masked).
            let mask = masked ? (0..<(2 * tk)).map { $0 == tk - 1 || $0 == tk + 2 || $0 == tk + 3 } : nil
            let (out, weights) = try module(x, memory: memory, keyPaddingMask: mask, returnWeights: true)
            let (expected, expectedWeights) = naive(module, x, memory: memory, mask: mask)
            // Float GEMMs and softmax on values of order 1: 2e-5 absolute.
            let label = "causal \(causal) cross \(cross) masked \(masked)"
            assertClose(out.scalars, expected, absolute: 2e-5, label)
            XCTAssertEqual(weights?.shape, [2, 3, 5, tk])
            assertClose(weights!.scalars, expectedWeights, absolute: 2e-6, label)
            try checkGradients(inputs: [x] + (memory.map { [$0] } ?? []), parameters: module.parameters, samples: 12) {
                try module($0[0], memory: cross ? $0[1] : nil, keyPaddingMask: mask).output
            }
        }
    }

    func testParameterNamesAndErrors() throws {
        var rng = Random(seed: 1)
        let module = try MultiHeadAttention(channels: 8, heads: 2, causal: true, rng: &rng)
        XCTAssertEqual(module.namedParameters.map(\.name), ["c_attn.weight", "c_attn.bias", "c_proj.weight", "c_proj.bias"])
        assertThrowsAttentionError(["MultiHeadAttention", "channels: 10", "heads: 3", "divide"]) {
            _ = try MultiHeadAttention(channels: 10, heads: 3, causal: false, rng: &rng)
        }
        assertThrowsAttentionError(["MultiHeadAttention", "[2, 4, 6]"]) { _ = try module(Tensor.zeros([2, 4, 6])) }
        let cross = try MultiHeadAttention(channels: 8, heads: 2, causal: false, cross: true, rng: &rng)
        assertThrowsAttentionError(["memory", "[3, 4, 8]"]) {
            _ = try cross(Tensor.zeros([2, 4, 8]), memory: Tensor.zeros([3, 4, 8]))
        }
        assertThrowsAttentionError(["mask", "5 entries"]) {
            _ = try module(Tensor.zeros([2, 4, 8]), keyPaddingMask: [Bool](repeating: false, count: 5))
        }
    }
}
