import Foundation

// Layer normalization over the last dimension and its backward pass.
// Shapes: inp, out, dout, dinp are (rows, C) with C = channels; weight, bias, dweight, dbias (C);
// mean, rstd (rows).

/// Layer normalization: out[r, c] = (inp[r, c] − mean_r) · rstd_r · weight[c] + bias[c] with
/// rstd_r = 1 / sqrt(var_r + eps) (biased variance, as in PyTorch).
///
/// - `weight` and `bias` (C) are optional: nil means 1 and 0.
/// - `mean` and `rstd` (rows) are optional outputs; `layernormBackward` needs them.
/// - `out` may be the same buffer as `inp`.
///
/// The variance is computed in two passes (Σ(x − mean)², no cancellation). Rows run in parallel
/// with a fixed reduction order inside each row: identical results for any thread count.
///
///     layernormForward(out: ln1, mean: ln1Mean, rstd: ln1Rstd, inp: residual,
///                      weight: ln1w, bias: ln1b, rows: B * T, channels: C)
public func layernormForward(out: UnsafeMutablePointer<Float>, mean: UnsafeMutablePointer<Float>?,
                             rstd: UnsafeMutablePointer<Float>?, inp: UnsafePointer<Float>,
                             weight: UnsafePointer<Float>?, bias: UnsafePointer<Float>?,
                             rows: Int, channels: Int, eps: Float = 1e-5) {
    let C = channels
    if rows <= 0 || C <= 0 { return }
    Parallel.forEachChunk(rows, grain: max(1, 16_384 / C)) { range in
        for r in range {
            let x = inp + r * C, y = out + r * C
            let (rowMean, rowRstd) = layernormStatistics(x, channels: C, eps: eps)
            mean?[r] = rowMean
            rstd?[r] = rowRstd
            layernormNormalizeRow(y, x, weight: weight, bias: bias, mean: rowMean, rstd: rowRstd,
                                  channels: C)
        }
    }
}

/// y = (x − mean)·rstd·weight + bias for one row. The common affine case gets its own loop, so
/// the optional checks and partial loads stay out of the hot path.
@inline(__always)
private func layernormNormalizeRow(_ y: UnsafeMutablePointer<Float>, _ x: UnsafePointer<Float>,
                                   weight: UnsafePointer<Float>?, bias: UnsafePointer<Float>?,
                                   mean: Float, rstd: Float, channels C: Int) {
    let m = SIMD16<Float>(repeating: mean), s = SIMD16<Float>(repeating: rstd)
    var c = 0
    if let weight, let bias {
        while c + 16 <= C {
            store16(load16(bias + c).addingProduct((load16(x + c) - m) * s, load16(weight + c)), y + c)
            c += 16
        }
    }
    while c < C {
        let count = C - c
        let normalized = (loadPartial16(x + c, count: count, fill: 0) - m) * s
        let w = weight.map { loadPartial16($0 + c, count: count, fill: 1) } ?? SIMD16<Float>(repeating: 1)
        let b = bias.map { loadPartial16($0 + c, count: count, fill: 0) } ?? SIMD16<Float>()
        storePartial16(b.addingProduct(normalized, w), y + c, count: count)
        c += 16
    }
}

/// Mean and 1/sqrt(variance + eps) of one row of C values, in a fixed order.
@inline(__always)
private func layernormStatistics(_ x: UnsafePointer<Float>, channels C: Int,
                                 eps: Float) -> (mean: Float, rstd: Float) {
    var sum0 = SIMD16<Float>(), sum1 = SIMD16<Float>()
    var c = 0
    while c + 32 <= C {
        sum0 += load16(x + c)
        sum1 += load16(x + c + 16)
        c += 32
    }
    while c < C {
        sum0 += loadPartial16(x + c, count: C - c, fill: 0)
        c += 16
    }
    let mean = sumOfLanes(sum0 + sum1) / Float(C)
    let m = SIMD16<Float>(repeating: mean)
    var squares0 = SIMD16<Float>(), squares1 = SIMD16<Float>()
    c = 0
    while c + 32 <= C {
        let d0 = load16(x + c) - m, d1 = load16(x + c + 16) - m
        squares0 = squares0.addingProduct(d0, d0)
        squares1 = squares1.addingProduct(d1, d1)
        c += 32
    }
    while c < C {
        // Tail lanes load the mean itself, so they add exactly 0.
        let d = loadPartial16(x + c, count: C - c, fill: mean) - m
        squares0 = squares0.addingProduct(d, d)
        c += 16
    }
    let variance = sumOfLanes(squares0 + squares1) / Float(C)
    return (mean, 1 / (variance + eps).squareRoot())
}

/// Backward of `layernormForward`.
///
/// With n = (inp − mean)·rstd and g = dout ⊙ weight (row-wise):
/// dinp = rstd · (g − mean_c(g) − n · mean_c(g ⊙ n)) is overwritten; dweight += Σ_rows dout ⊙ n
/// and dbias += Σ_rows dout (both optional, accumulated). `dinp` must not alias `dout` or `inp`
/// (both are read again for the parameter gradients).
///
/// `mean` and `rstd` (rows) are those the forward pass wrote. Deterministic for any thread
/// count: dinp is computed row-parallel; dweight/dbias channel-parallel, each channel summing
/// the rows in order 0, 1, … .
public func layernormBackward(dinp: UnsafeMutablePointer<Float>, dweight: UnsafeMutablePointer<Float>?,
                              dbias: UnsafeMutablePointer<Float>?, dout: UnsafePointer<Float>,
                              inp: UnsafePointer<Float>, weight: UnsafePointer<Float>?,
                              mean: UnsafePointer<Float>, rstd: UnsafePointer<Float>,
                              rows: Int, channels: Int) {
    let C = channels
    if rows <= 0 || C <= 0 { return }
    Parallel.forEachChunk(rows, grain: max(1, 8_192 / C)) { range in
        for r in range {
            layernormBackwardRow(dinp: dinp + r * C, dout: dout + r * C, inp: inp + r * C,
                                 weight: weight, mean: mean[r], rstd: rstd[r], channels: C)
        }
    }
    if dweight == nil && dbias == nil { return }
    // Parameter gradients: blocks of 64 channels, each block streaming all rows.
    let blocks = (C + 63) / 64
    Parallel.forEachChunk(blocks, grain: max(1, 131_072 / (rows * 64))) { range in
        for block in range {
            let c0 = block * 64
            layernormParameterGradients(dweight: dweight, dbias: dbias, dout: dout, inp: inp,
                                        mean: mean, rstd: rstd, rows: rows, channels: C,
                                        begin: c0, width: min(64, C - c0))
        }
    }
}

/// dinp for one row (see `layernormBackward`).
@inline(__always)
private func layernormBackwardRow(dinp: UnsafeMutablePointer<Float>, dout: UnsafePointer<Float>,
                                  inp: UnsafePointer<Float>, weight: UnsafePointer<Float>?,
                                  mean: Float, rstd: Float, channels C: Int) {
    let m = SIMD16<Float>(repeating: mean), s = SIMD16<Float>(repeating: rstd)
    /// n = (x − mean)·rstd and g = dout ⊙ weight for `count` (<= 16) channels at c. Full
    /// blocks pass the constant 16, so their partial loads fold into vector loads; tail lanes
    /// load dout = 0 and add nothing to the sums.
    @inline(__always)
    func lanes(_ c: Int, _ count: Int) -> (n: SIMD16<Float>, g: SIMD16<Float>) {
        let n = (loadPartial16(inp + c, count: count, fill: 0) - m) * s
        var g = loadPartial16(dout + c, count: count, fill: 0)
        if let weight { g *= loadPartial16(weight + c, count: count, fill: 0) }
        return (n, g)
    }
    var gSum = SIMD16<Float>(), gnSum = SIMD16<Float>()
    var c = 0
    while c < C {
        let (n, g) = c + 16 <= C ? lanes(c, 16) : lanes(c, C - c)
        gSum += g
        gnSum = gnSum.addingProduct(g, n)
        c += 16
    }
    let gMean = SIMD16<Float>(repeating: sumOfLanes(gSum) / Float(C))
    let gnMean = SIMD16<Float>(repeating: sumOfLanes(gnSum) / Float(C))
    c = 0
    while c + 16 <= C {
        let (n, g) = lanes(c, 16)
        store16((g - gMean).addingProduct(n, -gnMean) * s, dinp + c)
        c += 16
    }
    if c < C {
        let (n, g) = lanes(c, C - c)
        storePartial16((g - gMean).addingProduct(n, -gnMean) * s, dinp + c, count: C - c)
    }
}

/// dweight[c] += Σ_r dout[r, c]·n[r, c] and dbias[c] += Σ_r dout[r, c] for c in
/// begin..<begin+width (width <= 64), summing rows in order.
@inline(__always)
private func layernormParameterGradients(
    dweight: UnsafeMutablePointer<Float>?, dbias: UnsafeMutablePointer<Float>?,
    dout: UnsafePointer<Float>, inp: UnsafePointer<Float>, mean: UnsafePointer<Float>,
    rstd: UnsafePointer<Float>, rows: Int, channels C: Int, begin: Int, width: Int
) {
    var dw = (SIMD16<Float>(), SIMD16<Float>(), SIMD16<Float>(), SIMD16<Float>())
    var db = dw
    let count0 = width, count1 = width - 16, count2 = width - 32, count3 = width - 48
    for r in 0..<rows {
        let x = inp + r * C + begin, d = dout + r * C + begin
        let m = SIMD16<Float>(repeating: mean[r]), s = SIMD16<Float>(repeating: rstd[r])
        let d0 = loadPartial16(d, count: count0, fill: 0)
        dw.0 = dw.0.addingProduct(d0, (loadPartial16(x, count: count0, fill: 0) - m) * s)
        db.0 += d0
        if count1 > 0 {
            let d1 = loadPartial16(d + 16, count: count1, fill: 0)
            dw.1 = dw.1.addingProduct(d1, (loadPartial16(x + 16, count: count1, fill: 0) - m) * s)
            db.1 += d1
        }
        if count2 > 0 {
            let d2 = loadPartial16(d + 32, count: count2, fill: 0)
            dw.2 = dw.2.addingProduct(d2, (loadPartial16(x + 32, count: count2, fill: 0) - m) * s)
            db.2 += d2
        }
        if count3 > 0 {
            let d3 = loadPartial16(d + 48, count: count3, fill: 0)
            dw.3 = dw.3.addingProduct(d3, (loadPartial16(x + 48, count: count3, fill: 0) - m) * s)
            db.3 += d3
        }
    }
    func accumulate(_ w: SIMD16<Float>, _ b: SIMD16<Float>, offset: Int, count: Int) {
        if count <= 0 { return }
        if let dweight {
            storePartial16(loadPartial16(dweight + offset, count: count, fill: 0) + w,
                           dweight + offset, count: count)
        }
        if let dbias {
            storePartial16(loadPartial16(dbias + offset, count: count, fill: 0) + b,
                           dbias + offset, count: count)
        }
    }
    accumulate(dw.0, db.0, offset: begin, count: count0)
    accumulate(dw.1, db.1, offset: begin + 16, count: count1)
    accumulate(dw.2, db.2, offset: begin + 32, count: count2)
    accumulate(dw.3, db.3, offset: begin + 48, count: count3)
}

/// Reference for `layernormForward`: plain loops in Double. Same contract.
package func layernormForwardNaive(out: UnsafeMutablePointer<Float>, mean: UnsafeMutablePointer<Float>?,
                                  rstd: UnsafeMutablePointer<Float>?, inp: UnsafePointer<Float>,
                                  weight: UnsafePointer<Float>?, bias: UnsafePointer<Float>?,
                                  rows: Int, channels: Int, eps: Float = 1e-5) {
    let C = channels
    if C <= 0 { return }
    for r in 0..<max(rows, 0) {
        var sum = 0.0
        for c in 0..<C { sum += Double(inp[r * C + c]) }
        let rowMean = sum / Double(C)
        var squares = 0.0
        for c in 0..<C { squares += (Double(inp[r * C + c]) - rowMean) * (Double(inp[r * C + c]) - rowMean) }
        let rowRstd = 1 / (squares / Double(C) + Double(eps)).squareRoot()
        for c in 0..<C {
            let n = (Double(inp[r * C + c]) - rowMean) * rowRstd
            out[r * C + c] = Float(n * Double(weight?[c] ?? 1) + Double(bias?[c] ?? 0))
        }
        mean?[r] = Float(rowMean)
        rstd?[r] = Float(rowRstd)
    }
}

/// Reference for `layernormBackward`: plain loops in Double. Same contract.
package func layernormBackwardNaive(dinp: UnsafeMutablePointer<Float>, dweight: UnsafeMutablePointer<Float>?,
                                   dbias: UnsafeMutablePointer<Float>?, dout: UnsafePointer<Float>,
                                   inp: UnsafePointer<Float>, weight: UnsafePointer<Float>?,
                                   mean: UnsafePointer<Float>, rstd: UnsafePointer<Float>,
                                   rows: Int, channels: Int) {
    let C = channels
    if C <= 0 { return }
    var dweightSum = [Double](repeating: 0, count: C), dbiasSum = dweightSum
    for r in 0..<max(rows, 0) {
        let m = Double(mean[r]), s = Double(rstd[r])
        var gMean = 0.0, gnMean = 0.0
        for c in 0..<C {
            let n = (Double(inp[r * C + c]) - m) * s
            let g = Double(dout[r * C + c]) * Double(weight?[c] ?? 1)
            gMean += g / Double(C)
            gnMean += g * n / Double(C)
        }
        for c in 0..<C {
            let n = (Double(inp[r * C + c]) - m) * s
            let g = Double(dout[r * C + c]) * Double(weight?[c] ?? 1)
            dinp[r * C + c] = Float((g - gMean - n * gnMean) * s)
            dweightSum[c] += Double(dout[r * C + c]) * n
            dbiasSum[c] += Double(dout[r * C + c])
        }
    }
    for c in 0..<C {
        dweight?[c] += Float(dweightSum[c])
        dbias?[c] += Float(dbiasSum[c])
    }
}
