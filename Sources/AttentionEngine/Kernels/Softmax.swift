import Foundation

// Row-wise softmax, optionally causal, and its backward pass.
// Shapes: inp, out, dout, dinp are (rows, cols); with `causal`, rows = B·T stacked (T, T) score
// matrices with T = cols.

/// Row-wise numerically stable softmax: out[r, j] = exp(inp[r, j] − max_r) / Σ_j exp(inp[r, j] − max_r).
///
/// - `out` (rows, cols) may be the same buffer as `inp` (rows, cols) (in place).
/// - `causal`: `inp` holds (rows / cols) stacked (T, T) score matrices with T = cols; row r sees
///   only columns j <= r % cols, and masked entries of `out` are 0.
/// - Inputs may be -inf (masked scores): they give exactly 0. A row whose visible entries are all
///   -inf gives a row of zeros instead of NaN. +inf and NaN inputs give NaN.
///
/// Accuracy (tested up to 255 columns): within 2e-6 relative + 4e-7 absolute of the softmax
/// computed in Double (exp is 2 ulp; the Float row sum and the reciprocal add rounding). Rows
/// run in parallel; the reductions inside a row have a fixed order, so results are identical
/// for any thread count.
///
///     softmaxForward(out: probs, inp: scores, rows: B * T, cols: T, causal: true)
public func softmaxForward(out: UnsafeMutablePointer<Float>, inp: UnsafePointer<Float>,
                           rows: Int, cols: Int, causal: Bool = false) {
    if rows <= 0 || cols <= 0 { return }
    Parallel.forEachChunk(rows, grain: max(1, 32_768 / cols)) { range in
        for r in range {
            let visible = causal ? r % cols + 1 : cols
            softmaxRow(out: out + r * cols, inp: inp + r * cols, visible: visible, cols: cols)
        }
    }
}

/// Softmax of the first `visible` entries of one row; entries visible..<cols of `out` become 0.
@inline(__always)
private func softmaxRow(out: UnsafeMutablePointer<Float>, inp: UnsafePointer<Float>,
                        visible n: Int, cols: Int) {
    let minusInfinity = -Float.infinity
    // Pass 1: the row maximum, with four independent accumulators for throughput.
    var max0 = SIMD16<Float>(repeating: minusInfinity), max1 = max0, max2 = max0, max3 = max0
    var j = 0
    while j + 64 <= n {
        max0 = laneMax(max0, load16(inp + j))
        max1 = laneMax(max1, load16(inp + j + 16))
        max2 = laneMax(max2, load16(inp + j + 32))
        max3 = laneMax(max3, load16(inp + j + 48))
        j += 64
    }
    while j < n {
        max0 = laneMax(max0, loadPartial16(inp + j, count: n - j, fill: minusInfinity))
        j += 16
    }
    let rowMax = maxOfLanes(laneMax(laneMax(max0, max1), laneMax(max2, max3)))
    if rowMax == minusInfinity {
        out.update(repeating: 0, count: cols)
        return
    }

    // Pass 2: e = exp(x − max) into `out`, and its sum. Tail lanes load -inf, whose exp is 0.
    let shift = SIMD16<Float>(repeating: rowMax)
    var sum0 = SIMD16<Float>(), sum1 = SIMD16<Float>()
    j = 0
    while j + 32 <= n {
        let e0 = vectorExpNonPositive(load16(inp + j) - shift)
        let e1 = vectorExpNonPositive(load16(inp + j + 16) - shift)
        store16(e0, out + j)
        store16(e1, out + j + 16)
        sum0 += e0
        sum1 += e1
        j += 32
    }
    while j < n {
        let e = vectorExpNonPositive(loadPartial16(inp + j, count: n - j, fill: minusInfinity) - shift)
        storePartial16(e, out + j, count: n - j)
        sum0 += e
        j += 16
    }

    // Pass 3: normalize (the row is in L1 by now) and clear the masked part.
    let inverse = SIMD16<Float>(repeating: 1 / sumOfLanes(sum0 + sum1))
    j = 0
    while j + 16 <= n {
        store16(load16(out + j) * inverse, out + j)
        j += 16
    }
    if j < n {
        storePartial16(loadPartial16(out + j, count: n - j, fill: 0) * inverse, out + j, count: n - j)
    }
    if n < cols { (out + n).update(repeating: 0, count: cols - n) }
}

/// Backward of `softmaxForward`: dinp = out ⊙ (dout − Σ_j dout[r, j]·out[r, j]) per row.
///
/// `dinp`, `dout`, `out` are (rows, cols); `dinp` is overwritten and may alias `dout`. Masked
/// (causal) entries have out = 0 and so get dinp = 0; no `causal` flag is needed.
public func softmaxBackward(dinp: UnsafeMutablePointer<Float>, dout: UnsafePointer<Float>,
                            out: UnsafePointer<Float>, rows: Int, cols: Int) {
    if rows <= 0 || cols <= 0 { return }
    Parallel.forEachChunk(rows, grain: max(1, 32_768 / cols)) { range in
        for r in range {
            let dinpRow = dinp + r * cols, doutRow = dout + r * cols, outRow = out + r * cols
            var dot0 = SIMD16<Float>(), dot1 = SIMD16<Float>()
            var j = 0
            while j + 32 <= cols {
                dot0 = dot0.addingProduct(load16(doutRow + j), load16(outRow + j))
                dot1 = dot1.addingProduct(load16(doutRow + j + 16), load16(outRow + j + 16))
                j += 32
            }
            while j < cols {
                let count = cols - j
                dot0 = dot0.addingProduct(loadPartial16(doutRow + j, count: count, fill: 0),
                                          loadPartial16(outRow + j, count: count, fill: 0))
                j += 16
            }
            let dot = SIMD16<Float>(repeating: sumOfLanes(dot0 + dot1))
            j = 0
            while j + 16 <= cols {
                store16(load16(outRow + j) * (load16(doutRow + j) - dot), dinpRow + j)
                j += 16
            }
            if j < cols {
                let count = cols - j
                let o = loadPartial16(outRow + j, count: count, fill: 0)
                let d = loadPartial16(doutRow + j, count: count, fill: 0)
                storePartial16(o * (d - dot), dinpRow + j, count: count)
            }
        }
    }
}

/// Reference for `softmaxForward`: plain loops, accumulated in Double. Same contract.
package func softmaxForwardNaive(out: UnsafeMutablePointer<Float>, inp: UnsafePointer<Float>,
                                rows: Int, cols: Int, causal: Bool = false) {
    if cols <= 0 { return }
    for r in 0..<max(rows, 0) {
        let row = inp + r * cols
        let visible = causal ? r % cols + 1 : cols
        var rowMax = -Double.infinity
        for j in 0..<visible { rowMax = max(rowMax, Double(row[j])) }
        var sum = 0.0
        var e = [Double](repeating: 0, count: cols)
        if rowMax != -.infinity {
            for j in 0..<visible {
                e[j] = Foundation.exp(Double(row[j]) - rowMax)
                sum += e[j]
            }
        }
        for j in 0..<cols { out[r * cols + j] = sum > 0 ? Float(e[j] / sum) : 0 }
    }
}

/// Reference for `softmaxBackward`: plain loops, accumulated in Double. Same contract.
package func softmaxBackwardNaive(dinp: UnsafeMutablePointer<Float>, dout: UnsafePointer<Float>,
                                 out: UnsafePointer<Float>, rows: Int, cols: Int) {
    if cols <= 0 { return }
    for r in 0..<max(rows, 0) {
        var dot = 0.0
        for j in 0..<cols { dot += Double(dout[r * cols + j]) * Double(out[r * cols + j]) }
        for j in 0..<cols {
            let i = r * cols + j
            dinp[i] = Float(Double(out[i]) * (Double(dout[i]) - dot))
        }
    }
}
