// Matrix-vector products: the GEMM paths without packing, for a few rows of C (m <= 4, e.g.
// generating one token through a Linear layer), a single column (n == 1), and a narrow
// Y = X·Wᵀ (n <= 8), where packing would cost more than the arithmetic.
//
//     y (n) = alpha * x (k) · M (k, n) + beta * y + bias
//
// x is contiguous; y has stride `incy`; M's element (p, j) lies at matrix[p * ld + j]
// (`.alongN`: rows of M contiguous) or at matrix[j * ld + p] (`.alongK`: columns contiguous).
// Each element of y is one k-reduction in a fixed order, whatever the thread count.

/// Which dimension of M (k, n) is contiguous in memory.
enum GemvLayout {
    /// Element (p, j) at matrix[p * ld + j]: B not transposed, or Aᵀ viewed from C's column.
    case alongN
    /// Element (p, j) at matrix[j * ld + p]: Bᵀ as in a Linear layer's Y = X·Wᵀ.
    case alongK
}

/// Smallest number of matrix elements (n·k) worth splitting across threads.
private let gemvParallelElements = 1 << 15

/// y (n) = alpha * x (k) · M (k, n) + beta * y + bias[j * biasStride] (biasStride 0 broadcasts
/// bias[0]). k >= 1; with beta == 0, y is not read.
func gemv(n: Int, k: Int, alpha: Float, x: UnsafePointer<Float>,
          matrix: UnsafePointer<Float>, ld: Int, layout: GemvLayout,
          beta: Float, y: UnsafeMutablePointer<Float>, incy: Int,
          bias: UnsafePointer<Float>?, biasStride: Int) {
    let epilogue = GemmEpilogue(alpha: alpha, beta: beta, bias: bias, accumulate: false)
    let serial = n * k < gemvParallelElements
    switch layout {
    case .alongN:
        // Columns in blocks of 64 per work item; each thread streams the rows of M once.
        let blockWidth = 64
        let blocks = (n + blockWidth - 1) / blockWidth
        Parallel.forEachChunk(blocks, grain: serial ? blocks : 1) { range in
            let j0 = range.lowerBound * blockWidth
            let j1 = min(n, range.upperBound * blockWidth)
            gemvAxpyColumns(j0..<j1, k: k, x: x, matrix: matrix, ld: ld, y: y, incy: incy,
                            epilogue: epilogue, biasStride: biasStride)
        }
    case .alongK:
        Parallel.forEachChunk(n, grain: serial ? n : 16) { range in
            gemvDotRows(range, k: k, x: x, matrix: matrix, ld: ld, y: y, incy: incy,
                        epilogue: epilogue, biasStride: biasStride)
        }
    }
}

/// C (m, n) = alpha * A (m, k) · B (n, k)ᵀ + beta * C + bias for small n: row i of C is the
/// `.alongK` product of row i of A with B. Threads split the rows of C.
func gemvRows(m: Int, n: Int, k: Int, alpha: Float, a: UnsafePointer<Float>, lda: Int,
              b: UnsafePointer<Float>, ldb: Int, beta: Float, c: UnsafeMutablePointer<Float>,
              ldc: Int, bias: UnsafePointer<Float>?) {
    let epilogue = GemmEpilogue(alpha: alpha, beta: beta, bias: bias, accumulate: false)
    let rowsPerItem = max(1, gemvParallelElements / max(n * k, 1))
    Parallel.forEachChunk(m, grain: rowsPerItem) { rows in
        for i in rows {
            gemvDotRows(0..<n, k: k, x: a + i * lda, matrix: b, ld: ldb, y: c + i * ldc, incy: 1,
                        epilogue: epilogue, biasStride: 1)
        }
    }
}

/// `.alongN` for columns `columns`: acc (columns) += x[p] * M[p, columns] for p = 0, 1, ...,
/// in a per-thread accumulator row that stays in L1 while the rows of M stream by.
private func gemvAxpyColumns(_ columns: Range<Int>, k: Int, x: UnsafePointer<Float>,
                             matrix: UnsafePointer<Float>, ld: Int,
                             y: UnsafeMutablePointer<Float>, incy: Int,
                             epilogue: GemmEpilogue, biasStride: Int) {
    typealias V = SIMD16<Float>
    let width = columns.count
    let vectorEnd = width & ~15
    // acc (width)
    let acc = ThreadScratch.floats(.gemvAccumulators, count: width)
    acc.initialize(repeating: 0, count: width)
    let accRaw = UnsafeMutableRawPointer(acc)
    var p = 0
    // Four rows per pass; each element still sees x[p] · M[p, j] fused in increasing p.
    while p + 4 <= k {
        let r0 = matrix + p * ld + columns.lowerBound
        let r1 = r0 + ld, r2 = r1 + ld, r3 = r2 + ld
        let x0 = x[p], x1 = x[p + 1], x2 = x[p + 2], x3 = x[p + 3]
        var j = 0
        while j < vectorEnd {
            var s = accRaw.loadUnaligned(fromByteOffset: j * 4, as: V.self)
            s = s.addingProduct(V(repeating: x0), UnsafeRawPointer(r0 + j).loadUnaligned(as: V.self))
            s = s.addingProduct(V(repeating: x1), UnsafeRawPointer(r1 + j).loadUnaligned(as: V.self))
            s = s.addingProduct(V(repeating: x2), UnsafeRawPointer(r2 + j).loadUnaligned(as: V.self))
            s = s.addingProduct(V(repeating: x3), UnsafeRawPointer(r3 + j).loadUnaligned(as: V.self))
            accRaw.storeBytes(of: s, toByteOffset: j * 4, as: V.self)
            j += 16
        }
        while j < width {
            var s = acc[j]
            s = s.addingProduct(x0, r0[j])
            s = s.addingProduct(x1, r1[j])
            s = s.addingProduct(x2, r2[j])
            s = s.addingProduct(x3, r3[j])
            acc[j] = s
            j += 1
        }
        p += 4
    }
    while p < k {
        let row = matrix + p * ld + columns.lowerBound
        let xp = x[p]
        var j = 0
        while j < vectorEnd {
            let s = accRaw.loadUnaligned(fromByteOffset: j * 4, as: V.self)
            accRaw.storeBytes(of: s.addingProduct(V(repeating: xp), UnsafeRawPointer(row + j).loadUnaligned(as: V.self)),
                              toByteOffset: j * 4, as: V.self)
            j += 16
        }
        while j < width {
            acc[j] = acc[j].addingProduct(xp, row[j])
            j += 1
        }
        p += 1
    }
    for (offset, j) in columns.enumerated() {
        epilogue.apply(acc[offset], to: y + j * incy, column: j * biasStride)
    }
}

/// `.alongK` for outputs `rows`: y[j] = dot(x, M column j), four columns per pass sharing the
/// loads of x. Each dot product is one SIMD16 accumulator over full vectors of k, a lane sum,
/// then the tail of k in scalar fused steps; a partial group repeats its last column, so every
/// column takes exactly the same path.
private func gemvDotRows(_ rows: Range<Int>, k: Int, x: UnsafePointer<Float>,
                         matrix: UnsafePointer<Float>, ld: Int,
                         y: UnsafeMutablePointer<Float>, incy: Int,
                         epilogue: GemmEpilogue, biasStride: Int) {
    typealias V = SIMD16<Float>
    let vectorEnd = k & ~15
    let xRaw = UnsafeRawPointer(x)
    var j = rows.lowerBound
    while j < rows.upperBound {
        let last = rows.upperBound - 1
        let j1 = min(j + 1, last), j2 = min(j + 2, last), j3 = min(j + 3, last)
        let m0 = matrix + j * ld, m1 = matrix + j1 * ld
        let m2 = matrix + j2 * ld, m3 = matrix + j3 * ld
        var a0 = V(), a1 = V(), a2 = V(), a3 = V()
        var p = 0
        while p < vectorEnd {
            let xv = xRaw.loadUnaligned(fromByteOffset: p * 4, as: V.self)
            a0 = a0.addingProduct(xv, UnsafeRawPointer(m0 + p).loadUnaligned(as: V.self))
            a1 = a1.addingProduct(xv, UnsafeRawPointer(m1 + p).loadUnaligned(as: V.self))
            a2 = a2.addingProduct(xv, UnsafeRawPointer(m2 + p).loadUnaligned(as: V.self))
            a3 = a3.addingProduct(xv, UnsafeRawPointer(m3 + p).loadUnaligned(as: V.self))
            p += 16
        }
        var s0 = sumOfLanes(a0), s1 = sumOfLanes(a1), s2 = sumOfLanes(a2), s3 = sumOfLanes(a3)
        while p < k {
            s0 = s0.addingProduct(x[p], m0[p])
            s1 = s1.addingProduct(x[p], m1[p])
            s2 = s2.addingProduct(x[p], m2[p])
            s3 = s3.addingProduct(x[p], m3[p])
            p += 1
        }
        epilogue.apply(s0, to: y + j * incy, column: j * biasStride)
        if j + 1 <= last { epilogue.apply(s1, to: y + j1 * incy, column: j1 * biasStride) }
        if j + 2 <= last { epilogue.apply(s2, to: y + j2 * incy, column: j2 * biasStride) }
        if j + 3 <= last { epilogue.apply(s3, to: y + j3 * incy, column: j3 * biasStride) }
        j += 4
    }
}

/// `v` (count) as a contiguous pointer: itself when `stride` is 1, else a copy in the calling
/// thread's scratch.
func contiguousVector(_ v: UnsafePointer<Float>, count: Int, stride: Int) -> UnsafePointer<Float> {
    if stride == 1 { return v }
    let copy = ThreadScratch.floats(.gemvVector, count: count)
    for p in 0..<count { copy[p] = v[p * stride] }
    return UnsafePointer(copy)
}
