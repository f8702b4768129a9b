/// Elementwise arithmetic on raw buffers for the engine's tensor ops (add, multiply, affine,
/// broadcast over leading dimensions, and their reductions).
///
/// Every output element depends only on the inputs at its own index (or, for the column sums, on
/// one column read in row order), so the results are bitwise identical for any thread count.
/// Loops run on SIMD16 blocks (partial at the end, see SIMD16Lanes.swift) and split across
/// threads above 32768 elements (`forEachBlock16`).

/// out = a + b. `out` may alias `a` or `b`.
package func vectorAdd(out: UnsafeMutablePointer<Float>, a: UnsafePointer<Float>,
                      b: UnsafePointer<Float>, count: Int) {
    forEachBlock16(count: count) { i, n in
        storePartial16(loadPartial16(a + i, count: n, fill: 0) + loadPartial16(b + i, count: n, fill: 0),
                       out + i, count: n)
    }
}

/// out = a · b elementwise. `out` may alias `a` or `b`.
package func vectorMultiply(out: UnsafeMutablePointer<Float>, a: UnsafePointer<Float>,
                           b: UnsafePointer<Float>, count: Int) {
    forEachBlock16(count: count) { i, n in
        storePartial16(loadPartial16(a + i, count: n, fill: 0) * loadPartial16(b + i, count: n, fill: 0),
                       out + i, count: n)
    }
}

/// out = alpha · x + beta. `out` may alias `x`.
package func vectorAffine(out: UnsafeMutablePointer<Float>, x: UnsafePointer<Float>,
                         alpha: Float, beta: Float, count: Int) {
    let va = SIMD16<Float>(repeating: alpha), vb = SIMD16<Float>(repeating: beta)
    forEachBlock16(count: count) { i, n in
        storePartial16(vb.addingProduct(va, loadPartial16(x + i, count: n, fill: 0)), out + i, count: n)
    }
}

/// out += alpha · x (axpy).
package func vectorAddScaled(out: UnsafeMutablePointer<Float>, x: UnsafePointer<Float>,
                            alpha: Float, count: Int) {
    let va = SIMD16<Float>(repeating: alpha)
    forEachBlock16(count: count) { i, n in
        let o = loadPartial16(out + i, count: n, fill: 0)
        storePartial16(o.addingProduct(va, loadPartial16(x + i, count: n, fill: 0)), out + i, count: n)
    }
}

/// out (rows, cols) = a (rows, cols) ⊕ b (cols), where ⊕ is + or ·: `b` repeats over the rows.
/// `out` may alias `a`.
package func broadcastForward(out: UnsafeMutablePointer<Float>, a: UnsafePointer<Float>,
                             b: UnsafePointer<Float>, rows: Int, cols: Int, multiply: Bool) {
    Parallel.forEachChunk(rows, grain: max(1, 32_768 / max(cols, 1))) { range in
        for row in range {
            let o = out + row * cols, x = a + row * cols
            var i = 0
            while i < cols {
                let n = min(16, cols - i)
                let u = loadPartial16(x + i, count: n, fill: 0), v = loadPartial16(b + i, count: n, fill: 0)
                storePartial16(multiply ? u * v : u + v, o + i, count: n)
                i += 16
            }
        }
    }
}

/// dsum (cols) += Σ over rows of x (rows, cols), or of x · y when `y` is given: the backward of
/// broadcasting over rows (bias gradients). Each column is summed in row order by one thread;
/// 64 columns at a time walk the rows with four independent SIMD16 accumulators (one chain of
/// dependent additions would wait on the adder's latency), the last < 64 columns 16 at a time.
package func columnSumAccumulate(dsum: UnsafeMutablePointer<Float>, x: UnsafePointer<Float>,
                                y: UnsafePointer<Float>? = nil, rows: Int, cols: Int) {
    let groups = (cols + 63) / 64
    Parallel.forEachChunk(groups, grain: max(1, 32_768 / max(rows * 64, 1))) { range in
        for group in range {
            let start = group * 64
            guard cols - start >= 64 else {
                for block in stride(from: start, to: cols, by: 16) {
                    columnSumBlock(dsum: dsum, x: x, y: y, rows: rows, cols: cols, start: block)
                }
                continue
            }
            var a0 = load16(dsum + start), a1 = load16(dsum + start + 16)
            var a2 = load16(dsum + start + 32), a3 = load16(dsum + start + 48)
            if let y {
                for row in 0..<rows {
                    let u = x + row * cols + start, v = y + row * cols + start
                    a0 = a0.addingProduct(load16(u), load16(v))
                    a1 = a1.addingProduct(load16(u + 16), load16(v + 16))
                    a2 = a2.addingProduct(load16(u + 32), load16(v + 32))
                    a3 = a3.addingProduct(load16(u + 48), load16(v + 48))
                }
            } else {
                for row in 0..<rows {
                    let u = x + row * cols + start
                    a0 += load16(u)
                    a1 += load16(u + 16)
                    a2 += load16(u + 32)
                    a3 += load16(u + 48)
                }
            }
            store16(a0, dsum + start)
            store16(a1, dsum + start + 16)
            store16(a2, dsum + start + 32)
            store16(a3, dsum + start + 48)
        }
    }
}

/// `columnSumAccumulate` on the (up to) 16 columns from `start`.
@inline(__always)
private func columnSumBlock(dsum: UnsafeMutablePointer<Float>, x: UnsafePointer<Float>, y: UnsafePointer<Float>?,
                            rows: Int, cols: Int, start: Int) {
    let n = min(16, cols - start)
    var acc = loadPartial16(dsum + start, count: n, fill: 0)
    for row in 0..<rows {
        let v = loadPartial16(x + row * cols + start, count: n, fill: 0)
        if let y {
            acc = acc.addingProduct(v, loadPartial16(y + row * cols + start, count: n, fill: 0))
        } else {
            acc += v
        }
    }
    storePartial16(acc, dsum + start, count: n)
}

/// Reference for `columnSumAccumulate`: the plain double loop in Double.
package func columnSumAccumulateNaive(dsum: UnsafeMutablePointer<Float>, x: UnsafePointer<Float>,
                                     y: UnsafePointer<Float>? = nil, rows: Int, cols: Int) {
    for col in 0..<cols {
        var total = Double(dsum[col])
        for row in 0..<rows {
            total += Double(x[row * cols + col]) * Double(y?[row * cols + col] ?? 1)
        }
        dsum[col] = Float(total)
    }
}

/// Σ f(block) over `count` elements in a fixed order: SIMD16 partial sums of `term` (whose
/// padding lanes must give 0), flushed to Double every 4096 elements to bound the Float error.
@inline(__always)
func fixedOrderSum(count: Int, _ term: (_ offset: Int, _ n: Int) -> SIMD16<Float>) -> Double {
    var acc = SIMD16<Float>()
    var total: Double = 0
    var i = 0
    while i < count {
        acc += term(i, min(16, count - i))
        i += 16
        if i % 4096 == 0 {
            total += Double(sumOfLanes(acc))
            acc = SIMD16<Float>()
        }
    }
    return total + Double(sumOfLanes(acc))
}

/// Σ x (count), in a fixed order: the same bits on any thread count.
package func vectorSum(_ x: UnsafePointer<Float>, count: Int) -> Float {
    Float(fixedOrderSum(count: count) { i, n in loadPartial16(x + i, count: n, fill: 0) })
}
