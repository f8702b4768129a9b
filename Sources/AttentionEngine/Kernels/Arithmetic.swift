/// Elementwise arithmetic on raw buffers for the engine's tensor ops (add, multiply, scale,
/// broadcast over leading dimensions, and their reductions).
///
/// Every output element depends only on the inputs at its own index (or, for the column sums, on
/// one column read in row order), so the results are bitwise identical for any thread count.
/// Loops run SIMD16 with a scalar tail and split across threads above `arithmeticGrain` elements.

/// Elements below which an arithmetic kernel stays on the calling thread.
@usableFromInline let arithmeticGrain = 1 << 15

/// Applies `vector` to SIMD16 blocks and `scalar` to the tail of `0..<count`, in parallel.
@inlinable @inline(__always)
func forEachLane(count: Int, _ vector: (Int) -> Void, _ scalar: (Int) -> Void) {
    Parallel.forEachChunk((count + 15) / 16, grain: arithmeticGrain / 16) { blocks in
        let start = blocks.lowerBound * 16
        let end = min(blocks.upperBound * 16, count)
        var i = start
        while i + 16 <= end { vector(i); i += 16 }
        while i < end { scalar(i); i += 1 }
    }
}

@inlinable @inline(__always)
func load(_ p: UnsafePointer<Float>, _ i: Int) -> SIMD16<Float> {
    UnsafeRawPointer(p + i).loadUnaligned(as: SIMD16<Float>.self)
}

@inlinable @inline(__always)
func store(_ v: SIMD16<Float>, _ p: UnsafeMutablePointer<Float>, _ i: Int) {
    UnsafeMutableRawPointer(p + i).storeBytes(of: v, as: SIMD16<Float>.self)
}

/// out = a + b. `out` may alias `a` or `b`.
public func vectorAdd(out: UnsafeMutablePointer<Float>, a: UnsafePointer<Float>,
                      b: UnsafePointer<Float>, count: Int) {
    forEachLane(count: count, { store(load(a, $0) + load(b, $0), out, $0) },
                { out[$0] = a[$0] + b[$0] })
}

/// out = a · b elementwise. `out` may alias `a` or `b`.
public func vectorMultiply(out: UnsafeMutablePointer<Float>, a: UnsafePointer<Float>,
                           b: UnsafePointer<Float>, count: Int) {
    forEachLane(count: count, { store(load(a, $0) * load(b, $0), out, $0) },
                { out[$0] = a[$0] * b[$0] })
}

/// out = alpha · x + beta. `out` may alias `x`.
public func vectorAffine(out: UnsafeMutablePointer<Float>, x: UnsafePointer<Float>,
                         alpha: Float, beta: Float, count: Int) {
    let va = SIMD16<Float>(repeating: alpha), vb = SIMD16<Float>(repeating: beta)
    forEachLane(count: count, { store(vb.addingProduct(va, load(x, $0)), out, $0) },
                { out[$0] = beta.addingProduct(alpha, x[$0]) })
}

/// out += alpha · x (axpy).
public func vectorAddScaled(out: UnsafeMutablePointer<Float>, x: UnsafePointer<Float>,
                            alpha: Float, count: Int) {
    let va = SIMD16<Float>(repeating: alpha)
    forEachLane(count: count, { store(load(out, $0).addingProduct(va, load(x, $0)), out, $0) },
                { out[$0] = out[$0].addingProduct(alpha, x[$0]) })
}

/// out (rows, cols) = a (rows, cols) ⊕ b (cols), where ⊕ is + or ·: `b` repeats over the rows.
public func broadcastForward(out: UnsafeMutablePointer<Float>, a: UnsafePointer<Float>,
                             b: UnsafePointer<Float>, rows: Int, cols: Int, multiply: Bool) {
    Parallel.forEachChunk(rows, grain: max(1, arithmeticGrain / max(cols, 1))) { range in
        for row in range {
            let o = out + row * cols, x = a + row * cols
            var i = 0
            if multiply {
                while i + 16 <= cols { store(load(x, i) * load(b, i), o, i); i += 16 }
                while i < cols { o[i] = x[i] * b[i]; i += 1 }
            } else {
                while i + 16 <= cols { store(load(x, i) + load(b, i), o, i); i += 16 }
                while i < cols { o[i] = x[i] + b[i]; i += 1 }
            }
        }
    }
}

/// dsum (cols) += Σ over rows of x (rows, cols), or of x · y when `y` is given: the backward of
/// broadcasting over rows (bias gradients). Each column is summed in row order by one thread.
public func columnSumAccumulate(dsum: UnsafeMutablePointer<Float>, x: UnsafePointer<Float>,
                                y: UnsafePointer<Float>? = nil, rows: Int, cols: Int) {
    let blocks = (cols + 15) / 16
    Parallel.forEachChunk(blocks, grain: max(1, arithmeticGrain / max(rows * 16, 1))) { range in
        for block in range {
            let start = block * 16
            if start + 16 <= cols {
                var acc = load(dsum, start)
                for row in 0..<rows {
                    let v = load(x + row * cols, start)
                    acc += y.map { v * load($0 + row * cols, start) } ?? v
                }
                store(acc, dsum, start)
            } else {
                for col in start..<cols {
                    var acc = dsum[col]
                    for row in 0..<rows {
                        let v = x[row * cols + col]
                        acc += y.map { v * $0[row * cols + col] } ?? v
                    }
                    dsum[col] = acc
                }
            }
        }
    }
}

/// Reference for `columnSumAccumulate`: the plain double loop (same summation order per column).
public func columnSumAccumulateNaive(dsum: UnsafeMutablePointer<Float>, x: UnsafePointer<Float>,
                                     y: UnsafePointer<Float>? = nil, rows: Int, cols: Int) {
    for col in 0..<cols {
        for row in 0..<rows {
            let v = x[row * cols + col]
            dsum[col] += y.map { v * $0[row * cols + col] } ?? v
        }
    }
}

/// Σ x in a fixed order (SIMD16 partial sums, then the lanes, then the tail), in Double lanes
/// for long inputs so that losses over many elements stay accurate.
public func vectorSum(_ x: UnsafePointer<Float>, count: Int) -> Float {
    var acc = SIMD16<Float>()
    var total: Double = 0
    var i = 0
    while i + 16 <= count {
        acc += load(x, i)
        i += 16
        if i % 4096 == 0 {  // flush every 256 blocks to bound the Float rounding error
            total += Double(acc.sum())
            acc = SIMD16<Float>()
        }
    }
    total += Double(acc.sum())
    while i < count { total += Double(x[i]); i += 1 }
    return Float(total)
}
