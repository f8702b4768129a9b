import AttentionEngine
import Foundation
import XCTest

/// Seeded inputs of one attention call and the kernels run on them with arrays, shared by the
/// Attention*Tests files. q (B,NH,Tq,HS); k, v (B,NH,Tk,HS); keyPaddingMask (B,Tk).
struct AttentionInputs {
    /// Which keys the key-padding mask hides.
    enum Padding {
        case none
        /// About a third of the keys at random, and (when B > 1) every key of the last batch,
        /// so that its rows have no visible key.
        case random
    }

    let shape: AttentionShape
    var q, k, v: [Float]
    var keyPaddingMask: [UInt8]?

    init(_ shape: AttentionShape, padding: Padding = .none, seed: UInt64 = 1,
         range: Float = 1) {
        self.shape = shape
        var random = TestRandom(seed: seed)
        q = random.floats(shape.queryCount, -range, range)
        k = random.floats(shape.keyCount, -range, range)
        v = random.floats(shape.keyCount, -1, 1)
        if case .random = padding {
            var mask = (0..<shape.batch * shape.keyLength).map { _ in
                UInt8(random.int(3) == 0 ? 1 : 0)
            }
            if shape.batch > 1 {
                for j in 0..<shape.keyLength { mask[(shape.batch - 1) * shape.keyLength + j] = 7 }
            }
            keyPaddingMask = mask
        }
    }

    struct Forward {
        var out: [Float], lse: [Float], probs: [Float]?
    }

    /// Runs `attentionForward` with the kernels of `isa` (or the naive reference); probabilities
    /// only when asked. Outputs start as NaN so that an element the kernel forgets to write shows up.
    func forward(naive: Bool = false, probabilities: Bool = false,
                 isa: KernelISA = .active) -> Forward {
        var out = [Float](repeating: .nan, count: shape.queryCount)
        var lse = [Float](repeating: .nan, count: shape.headCount * shape.queryLength)
        var probs = [Float](repeating: .nan, count: probabilities ? shape.probabilityCount : 0)
        typealias Kernel = (UnsafeMutablePointer<Float>, UnsafeMutablePointer<Float>?,
                            UnsafeMutablePointer<Float>?, UnsafePointer<Float>, UnsafePointer<Float>,
                            UnsafePointer<Float>, UnsafePointer<UInt8>?, AttentionShape) -> Void
        let kernel: Kernel = naive ? attentionForwardNaive : {
            attentionForward(out: $0, lse: $1, probs: $2, q: $3, k: $4, v: $5, keyPaddingMask: $6,
                             shape: $7, isa: isa)
        }
        withMask { mask in
            if probabilities {
                kernel(&out, &lse, &probs, q, k, v, mask, shape)
            } else {
                kernel(&out, &lse, nil, q, k, v, mask, shape)
            }
        }
        return Forward(out: out, lse: lse, probs: probabilities ? probs : nil)
    }

    struct Gradients: Equatable {
        var dq: [Float], dk: [Float], dv: [Float]
    }

    /// Runs `attentionBackward` with the kernels of `isa` from a forward result, or the naive
    /// reference (which needs none).
    func backward(dout: [Float], forward: Forward? = nil, isa: KernelISA = .active) -> Gradients {
        var dq = [Float](repeating: .nan, count: shape.queryCount)
        var dk = [Float](repeating: .nan, count: shape.keyCount)
        var dv = [Float](repeating: .nan, count: shape.keyCount)
        withMask { mask in
            if let forward {
                attentionBackward(dq: &dq, dk: &dk, dv: &dv, dout: dout, q: q, k: k, v: v,
                                  out: forward.out, lse: forward.lse, keyPaddingMask: mask,
                                  shape: shape, isa: isa)
            } else {
                attentionBackwardNaive(dq: &dq, dk: &dk, dv: &dv, dout: dout, q: q, k: k, v: v,
                                       keyPaddingMask: mask, shape: shape)
            }
        }
        return Gradients(dq: dq, dk: dk, dv: dv)
    }

    /// Σ dout·out computed independently in Double (the finite-difference reference), with
    /// q, k, v given in Double.
    func lossInDouble(q: [Double], k: [Double], v: [Double], dout: [Float]) -> Double {
        let (Tq, Tk, HS) = (shape.queryLength, shape.keyLength, shape.headSize)
        var loss = 0.0
        for head in 0..<shape.headCount {
            for i in 0..<Tq {
                var weights: [Double] = []
                var keys: [Int] = []
                for j in 0..<Tk {
                    if shape.causal && j > i + Tk - Tq { continue }
                    if let mask = keyPaddingMask, mask[(head / shape.heads) * Tk + j] != 0 { continue }
                    var s = 0.0
                    for d in 0..<HS { s += q[(head * Tq + i) * HS + d] * k[(head * Tk + j) * HS + d] }
                    weights.append(s * Double(shape.scale))
                    keys.append(j)
                }
                guard let best = weights.max() else { continue }
                let exps = weights.map { Foundation.exp($0 - best) }
                let total = exps.reduce(0, +)
                for d in 0..<HS {
                    var o = 0.0
                    for (e, j) in zip(exps, keys) { o += e / total * v[(head * Tk + j) * HS + d] }
                    loss += o * Double(dout[(head * Tq + i) * HS + d])
                }
            }
        }
        return loss
    }

    private func withMask(_ body: (UnsafePointer<UInt8>?) -> Void) {
        if let keyPaddingMask {
            body(keyPaddingMask)
        } else {
            body(nil)
        }
    }
}

/// assertClose for log-sum-exp rows: -inf (a row with no visible key) must match exactly, the
/// other entries within the tolerance.
func assertLseClose(_ actual: [Float], _ expected: [Float], absolute: Float, relative: Float,
                    _ message: @autoclosure () -> String = "",
                    file: StaticString = #filePath, line: UInt = #line) {
    XCTAssertEqual(actual.map { $0 == -.infinity }, expected.map { $0 == -.infinity },
                   "empty rows differ \(message())", file: file, line: line)
    func finite(_ values: [Float]) -> [Float] { values.map { $0 == -.infinity ? 0 : $0 } }
    assertClose(finite(actual), finite(expected), absolute: absolute, relative: relative,
                message(), file: file, line: line)
}
