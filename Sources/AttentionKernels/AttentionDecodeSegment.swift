import CAttentionShims

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
    // scores = scale · K·q, -inf for padded keys; four keys per pass (the last pass repeats the
    // last key in the lanes past `count`), so that each key's dot product has the same order.
    // The running maximum skips NaN scores (a comparison with NaN is false); they are flagged.
    var bestLanes = SIMD4<Float>(repeating: -.infinity)
    var nanLanes = SIMDMask<SIMD4<Int32>>()
    var j = 0
    while j < count {
        let valid = min(4, count - j)
        var s = fourDots(q, k, rows: (j, min(j + 1, count - 1), min(j + 2, count - 1),
                                      min(j + 3, count - 1)),
                         rowStride: HS, count: HS) * scale
        // The same keys' rows of V, wanted after the softmax: their loads overlap the K stream.
        let vRows = UnsafeRawPointer(v + j * HS)
        var line = 0
        while line < valid * HS * 4 {
            attn_shim_prefetch_l2(vRows + line)
            line += 64
        }
        if let mask = keyPaddingMask {
            for m in 0..<valid where mask[j + m] != 0 { s[m] = -.infinity }
        }
        if valid == 4 {
            UnsafeMutableRawPointer(scores + j).storeBytes(of: s, as: SIMD4<Float>.self)
        } else {
            for m in 0..<valid { scores[j + m] = s[m] }
            s.replace(with: -.infinity, where: SIMD4<Int32>(0, 1, 2, 3) .>= SIMD4(repeating: Int32(valid)))
        }
        bestLanes.replace(with: s, where: s .> bestLanes)
        nanLanes .|= s .!= s
        j += 4
    }
    let sawNaN = any(nanLanes)
    let best = max(max(bestLanes[0], bestLanes[1]), max(bestLanes[2], bestLanes[3]))
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
    j = 0
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

    // output (HS) = Σ_j p_j · v_j in increasing j, 8 vectors of columns at a time (one pass over
    // V for HS 64 on 8-lane vectors), then 4, then 1, then scalars (the same sum per element
    // whatever the width).
    let w = V.scalarCount
    var column = 0
    while column + 8 * w <= HS {
        var o0 = V(), o1 = V(), o2 = V(), o3 = V(), o4 = V(), o5 = V(), o6 = V(), o7 = V()
        for j in 0..<count {
            let p = V(repeating: scores[j])
            let row = v + j * HS + column
            o0 = o0.addingProduct(p, loadVector(row)); o1 = o1.addingProduct(p, loadVector(row + w))
            o2 = o2.addingProduct(p, loadVector(row + 2 * w))
            o3 = o3.addingProduct(p, loadVector(row + 3 * w))
            o4 = o4.addingProduct(p, loadVector(row + 4 * w))
            o5 = o5.addingProduct(p, loadVector(row + 5 * w))
            o6 = o6.addingProduct(p, loadVector(row + 6 * w))
            o7 = o7.addingProduct(p, loadVector(row + 7 * w))
        }
        storeVector(o0, output + column); storeVector(o1, output + column + w)
        storeVector(o2, output + column + 2 * w); storeVector(o3, output + column + 3 * w)
        storeVector(o4, output + column + 4 * w); storeVector(o5, output + column + 5 * w)
        storeVector(o6, output + column + 6 * w); storeVector(o7, output + column + 7 * w)
        column += 8 * w
    }
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

/// The dot products of `q` (count) with four rows of `k` (`rows`, `rowStride` apart), in
/// SIMD16 lanes then a fixed transposing reduction, then a scalar tail: the order of each sum
/// depends only on `count`, not on which lane of the result it lands in.
@inlinable @inline(__always)
package func fourDots(_ q: UnsafePointer<Float>, _ k: UnsafePointer<Float>,
                      rows: (Int, Int, Int, Int), rowStride: Int, count: Int) -> SIMD4<Float> {
    let k0 = k + rows.0 * rowStride, k1 = k + rows.1 * rowStride
    let k2 = k + rows.2 * rowStride, k3 = k + rows.3 * rowStride
    var a0 = SIMD16<Float>(), a1 = SIMD16<Float>(), a2 = SIMD16<Float>(), a3 = SIMD16<Float>()
    var i = 0
    while i + 16 <= count {
        let x = load16(q + i)
        a0 = a0.addingProduct(x, load16(k0 + i)); a1 = a1.addingProduct(x, load16(k1 + i))
        a2 = a2.addingProduct(x, load16(k2 + i)); a3 = a3.addingProduct(x, load16(k3 + i))
        i += 16
    }
    // 16 lanes → 8 per row → rows 0,1 (4 each) and rows 2,3 → 2 each → 1 each.
    let f0 = a0.lowHalf + a0.highHalf, f1 = a1.lowHalf + a1.highHalf
    let f2 = a2.lowHalf + a2.highHalf, f3 = a3.lowHalf + a3.highHalf
    let g01 = SIMD8(lowHalf: f0.lowHalf, highHalf: f1.lowHalf) + SIMD8(lowHalf: f0.highHalf, highHalf: f1.highHalf)
    let g23 = SIMD8(lowHalf: f2.lowHalf, highHalf: f3.lowHalf) + SIMD8(lowHalf: f2.highHalf, highHalf: f3.highHalf)
    let h = SIMD8(lowHalf: g01.evenHalf, highHalf: g23.evenHalf) + SIMD8(lowHalf: g01.oddHalf, highHalf: g23.oddHalf)
    var sums = h.evenHalf + h.oddHalf
    while i < count {
        let x = q[i]
        sums = sums.addingProduct(SIMD4(repeating: x), SIMD4(k0[i], k1[i], k2[i], k3[i]))
        i += 1
    }
    return sums
}
