// A Linear weight packed once into the panels the GEMM's packed path reads, for inference: the
// products of a loaded encoder use the same weights for every batch, so packing them per call
// (a read and a write of every weight, and a barrier per block) is repeated work. For a short
// batch it is most of the work: one 16-token sentence through all-MiniLM-L6-v2 spent a third of
// its time in `gemmPackB`.
//
//     C (m, OUT) = A (m, IN) · W (OUT, IN)ᵀ + bias (OUT)
//
// The panels are exactly those `gemmPackB` would build for each (column block, depth block) of
// op(B) = Wᵀ, so products are bitwise the same as `gemm`'s with the same register tile.

/// W (OUT, IN) held as the GEMM's packed B panels of Wᵀ for one register tile. Immutable after
/// init; `unpacked()` gives W back exactly.
package final class GemmPackedWeight: @unchecked Sendable {
    /// OUT: columns of the product.
    package let rows: Int
    /// IN: depth of the product.
    package let columns: Int
    /// The register tile the panels are laid out for.
    package let kernel: GemmMicroKernel
    /// Blocks in (column block, depth block) order, each ceil(nc / nr) panels (kc, nr); a
    /// column block of nc ≤ GemmBlocking.nc columns and its depth blocks take roundUp(nc, nr) · IN
    /// floats (nc only falls short of GemmBlocking.nc, a multiple of every nr, in the last one).
    private let panels: UnsafeMutablePointer<Float>
    private let count: Int

    /// Packs `weight` (rows, columns) row-major for `kernel` (by default the tile `gemm` would
    /// choose for a product with `rows` columns on this CPU).
    package init(weight: UnsafePointer<Float>, rows: Int, columns: Int, kernel: GemmMicroKernel? = nil) {
        precondition(rows >= 1 && columns >= 1, "GemmPackedWeight: empty weight (\(rows), \(columns))")
        self.rows = rows
        self.columns = columns
        let kernel = kernel ?? (rows <= GemmMicroKernel.simd8.nr ? .simd8 : .preferred)
        self.kernel = kernel
        let nr = kernel.nr
        count = ((rows + nr - 1) / nr) * nr * columns
        panels = .allocate(capacity: count)
        for jc in stride(from: 0, to: rows, by: GemmBlocking.nc) {
            let nc = min(GemmBlocking.nc, rows - jc)
            for pc in stride(from: 0, to: columns, by: GemmBlocking.kc) {
                let kc = min(GemmBlocking.kc, columns - pc)
                gemmPackB(panels + offset(jc: jc, pc: pc), b: weight, ldb: columns, transB: true,
                          j0: jc, nc: nc, p0: pc, kc: kc, nr: nr, panels: 0..<(nc + nr - 1) / nr)
            }
        }
    }

    deinit { panels.deallocate() }

    /// Bytes the panels hold (W's, plus zero columns up to a multiple of the tile's width).
    package var byteCount: Int { count * MemoryLayout<Float>.stride }

    /// The packed panels of the block at column jc, depth pc (both multiples of the blocking).
    func panels(jc: Int, pc: Int) -> UnsafePointer<Float> {
        UnsafePointer(panels + offset(jc: jc, pc: pc))
    }

    private func offset(jc: Int, pc: Int) -> Int {
        let nc = min(GemmBlocking.nc, rows - jc)
        let nr = kernel.nr
        return jc * columns + ((nc + nr - 1) / nr) * nr * pc
    }

    /// W (rows, columns) row-major, read back from the panels.
    package func unpacked() -> [Float] {
        let nr = kernel.nr
        return [Float](unsafeUninitializedCapacity: rows * columns) { out, initialized in
            for jc in stride(from: 0, to: rows, by: GemmBlocking.nc) {
                for pc in stride(from: 0, to: columns, by: GemmBlocking.kc) {
                    let kc = min(GemmBlocking.kc, columns - pc)
                    let block = panels(jc: jc, pc: pc)
                    for j in jc..<min(jc + GemmBlocking.nc, rows) {
                        let q = (j - jc) / nr, x = (j - jc) % nr
                        for p in 0..<kc { out[j * columns + pc + p] = block[(q * kc + p) * nr + x] }
                    }
                }
            }
            initialized = rows * columns
        }
    }

    /// C (m, rows) = A (m, columns) · Wᵀ + bias, row-major with leading dimensions lda ≥ columns
    /// and ldc ≥ rows, for m > `gemvMaxRows` (fewer rows are matrix-vector products, which this
    /// layout does not serve): bitwise what `gemm(transB: true)` computes with this tile.
    package func product(m: Int, a: UnsafePointer<Float>, lda: Int, c: UnsafeMutablePointer<Float>, ldc: Int,
                 bias: UnsafePointer<Float>?) {
        precondition(m > gemvMaxRows && lda >= columns && ldc >= rows,
                     "GemmPackedWeight.product: m \(m), lda \(lda), ldc \(ldc)")
        gemmPacked(kernel: kernel, transA: false, m: m, n: rows, k: columns, alpha: 1, a: a, lda: lda,
                   panelsB: .prepacked(self), beta: 0, c: c, ldc: ldc, bias: bias)
    }
}
