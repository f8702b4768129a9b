import Foundation

// Reference attention: plain loops, one query row at a time, the full score row materialized,
// arithmetic in Double. Slow and obviously correct; the fused kernels are tested against it.
//
// B batch, NH heads, Tq queries, Tk keys, HS head size.
// q, out, dout, dq (B,NH,Tq,HS); k, v, dk, dv (B,NH,Tk,HS); lse (B,NH,Tq);
// probs (B,NH,Tq,Tk); keyPaddingMask (B,Tk).

/// Reference for `attentionForward` (same contract): scores, softmax and P·V row by row.
package func attentionForwardNaive(out: UnsafeMutablePointer<Float>,
                                  lse: UnsafeMutablePointer<Float>?,
                                  probs: UnsafeMutablePointer<Float>?, q: UnsafePointer<Float>,
                                  k: UnsafePointer<Float>, v: UnsafePointer<Float>,
                                  keyPaddingMask: UnsafePointer<UInt8>?, shape: AttentionShape) {
    let (Tq, Tk, HS) = (shape.queryLength, shape.keyLength, shape.headSize)
    var p = [Double](repeating: 0, count: Tk)
    for head in 0..<shape.headCount {
        let b = head / shape.heads
        for i in 0..<Tq {
            let rowLse = naiveProbabilities(&p, query: i, head: head, batch: b, q: q, k: k,
                                            keyPaddingMask: keyPaddingMask, shape: shape)
            lse?[head * Tq + i] = Float(rowLse)
            for d in 0..<HS {
                var sum = 0.0
                for j in 0..<Tk where p[j] != 0 { sum += p[j] * Double(v[(head * Tk + j) * HS + d]) }
                out[(head * Tq + i) * HS + d] = Float(sum)
            }
            if let probs {
                for j in 0..<Tk { probs[(head * Tq + i) * Tk + j] = Float(p[j]) }
            }
        }
    }
}

/// Reference for `attentionBackward` (same contract), from the materialized probabilities:
/// dV = Pᵀ·dO, dP = dO·Vᵀ, dS = P ⊙ (dP - rowsum(dP ⊙ P)), dQ = scale·dS·K, dK = scale·dSᵀ·Q.
/// Unlike the fused kernel it ignores `out` and `lse` and recomputes P itself.
package func attentionBackwardNaive(dq: UnsafeMutablePointer<Float>,
                                   dk: UnsafeMutablePointer<Float>,
                                   dv: UnsafeMutablePointer<Float>, dout: UnsafePointer<Float>,
                                   q: UnsafePointer<Float>, k: UnsafePointer<Float>,
                                   v: UnsafePointer<Float>, keyPaddingMask: UnsafePointer<UInt8>?,
                                   shape: AttentionShape) {
    let (Tq, Tk, HS) = (shape.queryLength, shape.keyLength, shape.headSize)
    let scale = Double(shape.scale)
    var dqAccumulator = [Double](repeating: 0, count: shape.queryCount)
    var dkAccumulator = [Double](repeating: 0, count: shape.keyCount)
    var dvAccumulator = [Double](repeating: 0, count: shape.keyCount)
    var p = [Double](repeating: 0, count: Tk)
    var dp = [Double](repeating: 0, count: Tk)
    for head in 0..<shape.headCount {
        let b = head / shape.heads
        for i in 0..<Tq {
            _ = naiveProbabilities(&p, query: i, head: head, batch: b, q: q, k: k,
                                   keyPaddingMask: keyPaddingMask, shape: shape)
            let qRow = (head * Tq + i) * HS
            var rowDot = 0.0
            for j in 0..<Tk {
                var sum = 0.0
                for d in 0..<HS { sum += Double(dout[qRow + d]) * Double(v[(head * Tk + j) * HS + d]) }
                dp[j] = sum
                rowDot += sum * p[j]
            }
            for j in 0..<Tk where p[j] != 0 {
                let kRow = (head * Tk + j) * HS
                let ds = p[j] * (dp[j] - rowDot) * scale
                for d in 0..<HS {
                    dvAccumulator[kRow + d] += p[j] * Double(dout[qRow + d])
                    dqAccumulator[qRow + d] += ds * Double(k[kRow + d])
                    dkAccumulator[kRow + d] += ds * Double(q[qRow + d])
                }
            }
        }
    }
    for i in 0..<shape.queryCount { dq[i] = Float(dqAccumulator[i]) }
    for i in 0..<shape.keyCount {
        dk[i] = Float(dkAccumulator[i])
        dv[i] = Float(dvAccumulator[i])
    }
}

/// Fills `p` (Tk) with the attention probabilities of query `i` of `head` (0 where masked) and
/// returns the row's log-sum-exp (-inf when no key is visible, and then p is all 0).
private func naiveProbabilities(_ p: inout [Double], query i: Int, head: Int, batch b: Int,
                                q: UnsafePointer<Float>, k: UnsafePointer<Float>,
                                keyPaddingMask: UnsafePointer<UInt8>?,
                                shape: AttentionShape) -> Double {
    let (Tq, Tk, HS) = (shape.queryLength, shape.keyLength, shape.headSize)
    var best = -Double.infinity
    for j in 0..<Tk {
        let causallyHidden = shape.causal && j > i + Tk - Tq
        let padded = keyPaddingMask.map { $0[b * Tk + j] != 0 } ?? false
        if causallyHidden || padded {
            p[j] = -.infinity
            continue
        }
        var sum = 0.0
        for d in 0..<HS {
            sum += Double(q[(head * Tq + i) * HS + d]) * Double(k[(head * Tk + j) * HS + d])
        }
        p[j] = sum * Double(shape.scale)
        best = max(best, p[j])
    }
    if best == -.infinity {
        for j in 0..<Tk { p[j] = 0 }
        return -.infinity
    }
    var total = 0.0
    for j in 0..<Tk {
        p[j] = Foundation.exp(p[j] - best)
        total += p[j]
    }
    for j in 0..<Tk { p[j] /= total }
    return best + Foundation.log(total)
}
