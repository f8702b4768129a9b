// General matrix multiply (SGEMM), row-major with BLAS semantics:
//
//     C (m, n) = alpha * op(A) (m, k) · op(B) (k, n) + beta * C (+ bias (n) on every row)
//
// op(A) is A as stored (m, k) with lda >= k, or with `transA` A stored (k, m) with lda >= m;
// likewise op(B) is B stored (k, n) with ldb >= n, or with `transB` B stored (n, k) with
// ldb >= k. C is (m, n) with ldc >= n.
//
// The fast path (Goto/BLIS): a packed B block (KC, NC) per thread team, packed A blocks
// (MC, KC) per thread, and a 6×(2 SIMD vectors) register tile (GemmTile.swift in
// AttentionKernels, run in the module of the chosen instruction set: GemmMicroKernel.swift);
// a few rows (m <= 4), one column (n == 1) or a narrow X·Wᵀ (n <= 8) take matrix-vector paths
// without packing (Gemv.swift).
//
// Determinism: the k-reduction of every element of C runs in KC blocks in increasing order,
// each block accumulated from zero in one register tile and then added to C, whatever the
// thread count; threads only split the rows (or column panels) of C.

/// Cache blocking sized for Zen 4 (32 KiB L1d, 1 MiB L2 per core).
enum GemmBlocking {
    /// Depth of a block: an A micro-panel (KC, MR) = 6 KiB stays in L1 while the tile walks a
    /// row of B micro-panels.
    static let kc = 256
    /// Columns of a packed B block, (KC, NC) = 1 MiB, streamed from L2/L3 by the tiles of one
    /// A micro-panel. Measured on one core at 1024³: NC = 1024 ≥ 512 (A is packed once for
    /// n <= 1024); KC = 256 ≥ 128, 384; this loop order (A micro-panel outer) ≥ B micro-panel
    /// outer.
    static let nc = 1024
    /// Upper bound on the rows of a packed A block: the unit of work a thread takes.
    static let mcMax = 192
    /// Below this many flops (2·m·n·k, ~100³, 10–20 µs on one core) a call runs on the calling
    /// thread alone: a parallel region costs microseconds, far more when the other core is busy.
    static let parallelFlops = 1 << 21
    /// Largest op(A) (in floats, 16 MiB) packed once for all column blocks when k <= KC.
    static let sharedPackedAMax = 1 << 22
}

/// Up to this many rows of C, a product runs as matrix-vector products (packing B would cost
/// more than the arithmetic).
let gemvMaxRows = 4

/// Up to this many columns of C, Y = X·Wᵀ runs as one matrix-vector product per row of X.
let gemvMaxColumns = 8

/// C (m,n) = alpha * op(A) (m,k) * op(B) (k,n) + beta * C (+ bias (n) on every row), row-major
/// with leading dimensions (BLAS semantics; beta == 0 means C is not read).
///
/// With alpha == 0 or k == 0, A and B are not read: C = beta * C (+ bias). Arguments must be
/// valid (see `checkGemmArguments`); pointers may be nil only for empty operands.
/// Results are bitwise identical for any `Parallel.threadCount` and either tile. `microKernel`
/// selects the register tile of the packed path (one of `GemmMicroKernel.available`; the tile of
/// `KernelISA.active` by default); results with n <= 16 always use the narrower SIMD8 tile.
///
///     // Y (T, OC) = X (T, C) · W (OC, C)ᵀ + b (OC): a Linear layer's forward pass
///     gemm(transA: false, transB: true, m: T, n: OC, k: C, alpha: 1, a: x, lda: C,
///          b: w, ldb: C, beta: 0, c: y, ldc: OC, bias: b)
public func gemm(transA: Bool, transB: Bool, m: Int, n: Int, k: Int,
                 alpha: Float, a: UnsafePointer<Float>?, lda: Int,
                 b: UnsafePointer<Float>?, ldb: Int,
                 beta: Float, c: UnsafeMutablePointer<Float>?, ldc: Int,
                 bias: UnsafePointer<Float>? = nil,
                 microKernel: GemmMicroKernel = .preferred) {
    if m <= 0 || n <= 0 { return }
    guard let c else { fatalError("gemm: C is nil for a non-empty result") }
    if k <= 0 || alpha == 0 {
        gemmScale(m: m, n: n, beta: beta, c: c, ldc: ldc, bias: bias)
        return
    }
    guard let a, let b else { fatalError("gemm: A or B is nil for a non-empty product") }
    if m <= gemvMaxRows {
        // A few rows of C (generation): one matrix-vector product per row, B read from cache.
        for i in 0..<m {
            let row = transA ? a + i : a + i * lda
            let x = contiguousVector(row, count: k, stride: transA ? lda : 1)
            gemv(n: n, k: k, alpha: alpha, x: x, matrix: b, ld: ldb,
                 layout: transB ? .alongK : .alongN, beta: beta, y: c + i * ldc, incy: 1,
                 bias: bias, biasStride: 1)
        }
    } else if n == 1 {
        // One column of C, as a row: cᵀ (m) = op(B) column (k) · op(A)ᵀ (k, m).
        let x = contiguousVector(b, count: k, stride: transB ? 1 : ldb)
        gemv(n: m, k: k, alpha: alpha, x: x, matrix: a, ld: lda, layout: transA ? .alongN : .alongK,
             beta: beta, y: c, incy: ldc, bias: bias, biasStride: 0)
    } else if n <= gemvMaxColumns && transB && !transA {
        // A narrow Linear layer (few outputs): each row of C is n dot products of a row of A
        // with the rows of B, which stay in L1; no packing of the large A.
        gemvRows(m: m, n: n, k: k, alpha: alpha, a: a, lda: lda, b: b, ldb: ldb,
                 beta: beta, c: c, ldc: ldc, bias: bias)
    } else {
        // A result no wider than the SIMD8 tile would waste most of a SIMD16 tile.
        let kernel = n <= GemmMicroKernel.simd8.nr ? .simd8 : microKernel
        gemmPacked(kernel: kernel, transA: transA, m: m, n: n, k: k, alpha: alpha, a: a, lda: lda,
                   panelsB: .packedPerCall { packed, j0, nc, p0, kc, nr, panels in
                       gemmPackB(packed, b: b, ldb: ldb, transB: transB, j0: j0, nc: nc, p0: p0, kc: kc, nr: nr,
                                 panels: panels)
                   },
                   beta: beta, c: c, ldc: ldc, bias: bias)
    }
}

/// Fills `packed` with micro-panels `panels` of op(B)[p0..<p0+kc, j0..<j0+nc], each (kc, nr), as
/// `gemmPackB` lays them out: the packed path's only access to B, so that B may be stored in
/// another format (QuantizedMatrix widens BF16/Q8 weights here).
typealias GemmPanelPacker = (_ packed: UnsafeMutablePointer<Float>, _ j0: Int, _ nc: Int, _ p0: Int, _ kc: Int,
                             _ nr: Int, _ panels: Range<Int>) -> Void

/// Where the packed path finds the panels of op(B).
enum GemmPanelsB {
    /// Packed for each block by the closure, into a buffer of the calling thread.
    case packedPerCall(GemmPanelPacker)
    /// Packed once, for the same register tile (a weight used by many products).
    case prepacked(GemmPackedWeight)
}

/// The blocked, packed path for m, n >= 2 and k >= 1; `panelsB` supplies the panels of op(B).
func gemmPacked(kernel: GemmMicroKernel, transA: Bool, m: Int, n: Int, k: Int,
                alpha: Float, a: UnsafePointer<Float>, lda: Int,
                panelsB: GemmPanelsB,
                beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int,
                bias: UnsafePointer<Float>?) {
    let mr = gemmMR, nr = kernel.nr
    let kcMax = GemmBlocking.kc, ncMax = GemmBlocking.nc
    let threads = Parallel.threadCount
    let (flops, overflow) = (2 * m).multipliedReportingOverflow(by: n)
    let parallel = threads > 1 && (overflow || flops.multipliedReportingOverflow(by: k).overflow
        || flops * k >= GemmBlocking.parallelFlops)

    // Rows per A block: the fewest blocks, in a multiple of the thread count so that threads
    // get equal work (the split does not change any element's arithmetic). With fewer than two
    // micro-panels of rows per thread (a short batch: 16 rows are 6 + 6 + 4), rows cannot be
    // shared evenly: one block, and the threads split the column panels below.
    let teams = parallel ? threads : 1
    let fewRowPanels = ceilDiv(m, mr) < 2 * teams && m <= GemmBlocking.mcMax
    let blockCount = fewRowPanels ? 1 : teams * ceilDiv(m, teams * GemmBlocking.mcMax)
    let mc = roundUp(ceilDiv(m, blockCount), mr)
    let rowBlocks = ceilDiv(m, mc)

    if case .prepacked(let weight) = panelsB {
        precondition(weight.kernel == kernel && weight.rows == n && weight.columns == k,
                     "gemmPacked: prepacked weight (\(weight.rows), \(weight.columns)) does not fit this product")
    }
    // One depth block (k <= KC) under several column blocks (an LM head: K = 128, N in the
    // thousands): pack all of op(A) once, not again for every column block. Packing moves values,
    // it does not change any element's arithmetic.
    let blockStride = roundUp(mc, mr) * k
    let packAOnce = k <= kcMax && n > ncMax && rowBlocks * blockStride <= GemmBlocking.sharedPackedAMax
    let sharedA = packAOnce ? BufferPool.allocate(rowBlocks * blockStride) : nil  // (rowBlocks, ceil(mc / MR), k, MR)
    defer { if let sharedA { BufferPool.release(sharedA, count: rowBlocks * blockStride) } }
    if let sharedA {
        Parallel.forEachChunk(rowBlocks, grain: parallel ? 1 : rowBlocks) { blocks in
            for block in blocks {
                gemmPackA(sharedA + block * blockStride, a: a, lda: lda, transA: transA,
                          i0: block * mc, mc: min(mc, m - block * mc), p0: 0, kc: k)
            }
        }
    }
    for jc in stride(from: 0, to: n, by: ncMax) {
        let nc = min(ncMax, n - jc)
        let panelCount = ceilDiv(nc, nr)
        // Too few row blocks for the threads (small m): also split the column panels.
        let columnGroups = parallel && rowBlocks < threads ? min(panelCount, threads) : 1
        let items = rowBlocks * columnGroups
        for pc in stride(from: 0, to: k, by: kcMax) {
            let kc = min(kcMax, k - pc)
            // packedB (ceil(nc / nr), kc, nr)
            let packedB: UnsafePointer<Float>
            switch panelsB {
            case .packedPerCall(let packB):
                let scratchB = ThreadScratch.floats(.gemmPackedB, count: kcMax * roundUp(min(n, ncMax), nr))
                Parallel.forEachChunk(panelCount, grain: parallel ? 1 : panelCount) { panels in
                    packB(scratchB, jc, nc, pc, kc, nr, panels)
                }
                packedB = UnsafePointer(scratchB)
            case .prepacked(let weight):
                packedB = weight.panels(jc: jc, pc: pc)
            }
            let epilogue = GemmEpilogue(alpha: alpha, beta: beta, bias: bias, accumulate: pc > 0)
            Parallel.forEachChunk(items, grain: parallel ? 1 : items) { range in
                // packedA (ceil(mc / MR), kc, MR), this thread's own unless packed once above
                var packedA = sharedA ?? ThreadScratch.floats(.gemmPackedA, count: roundUp(mc, mr) * kc)
                var packedBlock = -1
                for item in range {
                    let block = item / columnGroups, group = item % columnGroups
                    let i0 = block * mc, rows = min(mc, m - i0)
                    if let sharedA {
                        packedA = sharedA + block * blockStride
                    } else if block != packedBlock {
                        gemmPackA(packedA, a: a, lda: lda, transA: transA,
                                  i0: i0, mc: rows, p0: pc, kc: kc)
                        packedBlock = block
                    }
                    let panels = (panelCount * group / columnGroups)..<(panelCount * (group + 1) / columnGroups)
                    for ir in stride(from: 0, to: rows, by: mr) {
                        let panelA = packedA + ir * kc
                        let tileRows = min(mr, rows - ir)
                        let rowC = c + (i0 + ir) * ldc
                        for q in panels {
                            let j = jc + q * nr
                            kernel.run(kc: kc, a: panelA, b: packedB + q * kc * nr,
                                       c: rowC + j, ldc: ldc, rows: tileRows, cols: min(nr, n - j),
                                       column: j, epilogue: epilogue)
                        }
                    }
                }
            }
        }
    }
}

/// C (m, n) = beta * C + bias: the whole result when the product is empty (k == 0 or
/// alpha == 0). With beta == 0, C is not read.
func gemmScale(m: Int, n: Int, beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int,
               bias: UnsafePointer<Float>?) {
    let epilogue = GemmEpilogue(alpha: 0, beta: beta, bias: bias, accumulate: false)
    for i in 0..<m {
        for j in 0..<n { epilogue.apply(0, to: c + i * ldc + j, column: j) }
    }
}

/// Same contract, triple loop, Double accumulation: the reference.
package func gemmNaive(transA: Bool, transB: Bool, m: Int, n: Int, k: Int,
                      alpha: Float, a: UnsafePointer<Float>?, lda: Int,
                      b: UnsafePointer<Float>?, ldb: Int,
                      beta: Float, c: UnsafeMutablePointer<Float>?, ldc: Int,
                      bias: UnsafePointer<Float>? = nil) {
    if m <= 0 || n <= 0 { return }
    guard let c else { fatalError("gemmNaive: C is nil for a non-empty result") }
    let product = k > 0 && alpha != 0
    for i in 0..<m {
        for j in 0..<n {
            var sum = 0.0
            if product, let a, let b {
                for p in 0..<k {
                    let x = transA ? a[p * lda + i] : a[i * lda + p]  // op(A)[i, p]
                    let y = transB ? b[j * ldb + p] : b[p * ldb + j]  // op(B)[p, j]
                    sum += Double(x) * Double(y)
                }
            }
            var result = Double(alpha) * sum
            if beta != 0 { result += Double(beta) * Double(c[i * ldc + j]) }
            if let bias { result += Double(bias[j]) }
            c[i * ldc + j] = Float(result)
        }
    }
}

/// Throws AttentionError (.shape / .nullPointer) for negative sizes, leading dimensions too
/// small, sizes whose products overflow, or NULL pointers to non-empty operands.
///
/// A is stored (m, k) with lda >= k, or (k, m) with lda >= m when transA; B is stored (k, n)
/// with ldb >= n, or (n, k) with ldb >= k when transB; C is (m, n) with ldc >= n. The byte extent
/// of each operand ((rows - 1) · ld + cols floats) must fit in an Int.
package func checkGemmArguments(transA: Bool, transB: Bool, m: Int, n: Int, k: Int,
                               a: UnsafeRawPointer?, lda: Int, b: UnsafeRawPointer?, ldb: Int,
                               c: UnsafeRawPointer?, ldc: Int) throws {
    guard m >= 0, n >= 0, k >= 0 else {
        throw AttentionError.shape("gemm: sizes must be >= 0, got m=\(m) n=\(n) k=\(k)")
    }
    try checkOperand("A", rows: transA ? k : m, cols: transA ? m : k, ld: lda, name: "lda",
                     pointer: a)
    try checkOperand("B", rows: transB ? n : k, cols: transB ? k : n, ld: ldb, name: "ldb",
                     pointer: b)
    try checkOperand("C", rows: m, cols: n, ld: ldc, name: "ldc", pointer: c)
}

/// One stored operand (rows, cols) with leading dimension `ld`.
private func checkOperand(_ operand: String, rows: Int, cols: Int, ld: Int, name: String,
                          pointer: UnsafeRawPointer?) throws {
    guard ld >= cols else {
        throw AttentionError.shape(
            "gemm: \(name)=\(ld) is smaller than the \(cols) columns of \(operand) as stored (\(rows), \(cols))")
    }
    if rows == 0 || cols == 0 { return }
    let (span, spanOverflow) = (rows - 1).multipliedReportingOverflow(by: ld)
    let (floats, floatsOverflow) = span.addingReportingOverflow(cols)
    guard !spanOverflow, !floatsOverflow,
          !floats.multipliedReportingOverflow(by: MemoryLayout<Float>.stride).overflow else {
        throw AttentionError.shape(
            "gemm: \(operand) (\(rows), \(cols)) with \(name)=\(ld) does not fit in memory (size overflows)")
    }
    guard pointer != nil else {
        throw AttentionError(.nullPointer, "gemm: \(operand) is NULL but has shape (\(rows), \(cols))")
    }
}

@inline(__always)
private func ceilDiv(_ x: Int, _ y: Int) -> Int { (x + y - 1) / y }

@inline(__always)
private func roundUp(_ x: Int, _ multiple: Int) -> Int { ceilDiv(x, multiple) * multiple }
