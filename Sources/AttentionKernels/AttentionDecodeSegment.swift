// The work item of attention decoding (AttentionDecode.swift in AttentionEngine splits the keys
// into segments and merges them): one segment of keys for one query, generic over the vector
// type of the output accumulation and specialised per ISA.

/// Keys per decode segment.
package let decodeSegment = 256

/// Softmax-weighted sum of `count` keys for one query: max = max of the scaled visible scores
/// (-inf if none), sum = Σ exp(score - max), output (HS) = Σ exp(score - max)·v_j. A NaN score
/// (non-finite weights or activations) makes max, sum and output NaN, so that it is not hidden.
/// q (HS); k, v (count, HS); keyPaddingMask (count) optional; scores (count) scratch.
/// V is the vector type of the output accumulation.
@inlinable
package func decodeSegmentPartial<V: SIMD>(_: V.Type, max rowMax: inout Float,
                                           sum rowSum: inout Float,
                                           output: UnsafeMutablePointer<Float>,
                                           q: UnsafePointer<Float>, k: UnsafePointer<Float>,
                                           v: UnsafePointer<Float>,
                                           keyPaddingMask: UnsafePointer<UInt8>?,
                                           count: Int, headSize HS: Int, scale: Float,
                                           scores: UnsafeMutablePointer<Float>)
where V.Scalar == Float {
    // scores = scale · K·q, -inf for padded keys
    var best = -Float.infinity
    var sawNaN = false
    for j in 0..<count {
        if let mask = keyPaddingMask, mask[j] != 0 {
            scores[j] = -.infinity
            continue
        }
        let s = dot(q, k + j * HS, count: HS) * scale
        scores[j] = s
        best = max(best, s)  // skips a NaN: flagged instead
        sawNaN = sawNaN || s.isNaN
    }
    if sawNaN {
        (rowMax, rowSum) = (.nan, .nan)
        output.initialize(repeating: .nan, count: HS)
        return
    }
    rowMax = best
    rowSum = 0
    output.initialize(repeating: 0, count: HS)
    if best == -.infinity { return }

    // p = exp(scores - max) in place; sum in lanes, then across lanes
    let shift = SIMD16<Float>(repeating: -best)
    var sumVector = SIMD16<Float>()
    var j = 0
    while j + 16 <= count {
        let p = vectorExp(load16(scores + j) + shift)
        store16(p, scores + j)
        sumVector += p
        j += 16
    }
    var sum = sumOfLanes(sumVector)
    while j < count {
        scores[j] = scalarExp(scores[j] - best)
        sum += scores[j]
        j += 1
    }
    rowSum = sum

    // output (HS) = Σ_j p_j · v_j in increasing j, 4 vectors of columns at a time, then 1, then
    // scalars (the same sum per element whatever the width).
    let w = V.scalarCount
    var column = 0
    while column + 4 * w <= HS {
        var o0 = V(), o1 = V(), o2 = V(), o3 = V()
        for j in 0..<count {
            let p = V(repeating: scores[j])
            let row = v + j * HS + column
            o0 = o0.addingProduct(p, loadVector(row)); o1 = o1.addingProduct(p, loadVector(row + w))
            o2 = o2.addingProduct(p, loadVector(row + 2 * w))
            o3 = o3.addingProduct(p, loadVector(row + 3 * w))
        }
        storeVector(o0, output + column); storeVector(o1, output + column + w)
        storeVector(o2, output + column + 2 * w); storeVector(o3, output + column + 3 * w)
        column += 4 * w
    }
    while column + w <= HS {
        var o0 = V()
        for j in 0..<count {
            o0 = o0.addingProduct(V(repeating: scores[j]), loadVector(v + j * HS + column))
        }
        storeVector(o0, output + column)
        column += w
    }
    while column < HS {
        var o: Float = 0
        for j in 0..<count { o = o.addingProduct(scores[j], v[j * HS + column]) }
        output[column] = o
        column += 1
    }
}
