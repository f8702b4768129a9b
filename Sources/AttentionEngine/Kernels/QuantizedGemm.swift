// The product of many token rows with BF16 / Q8 weights (QuantizedMatrix), for batched inference
// (the BERT encoder):
//
//     C (m, OUT) = A (m, IN) · W (OUT, IN)ᵀ + bias (OUT)
//
// It is the FP32 GEMM's packed path with W widened to FP32 while its panels are packed: each
// (depth block × panel) of W is widened once and then serves every row of A, so the widening
// costs OUT · IN operations against the product's m · OUT · IN. The arithmetic per element is the
// packed GEMM's, so results are bitwise independent of the thread count and of m.

extension QuantizedMatrix {
    /// C (m, OUT) = A (m, IN) · Wᵀ + bias, row-major with leading dimensions lda ≥ IN and
    /// ldc ≥ OUT, for m ≥ 2 (a single row is `linear`'s case). Each weight is widened exactly
    /// as `dequantized()` widens it.
    package func product(m: Int, a: UnsafePointer<Float>, lda: Int, c: UnsafeMutablePointer<Float>, ldc: Int,
                 bias: UnsafePointer<Float>?) {
        precondition(m >= 2 && lda >= columns && ldc >= rows, "QuantizedMatrix.product: m \(m), lda \(lda), ldc \(ldc)")
        guard rows > 0 else { return }
        guard columns > 0 else {
            gemmScale(m: m, n: rows, beta: 0, c: c, ldc: ldc, bias: bias)
            return
        }
        let kernel = rows <= GemmMicroKernel.simd8.nr ? .simd8 : GemmMicroKernel.preferred
        gemmPacked(kernel: kernel, transA: false, m: m, n: rows, k: columns, alpha: 1, a: a, lda: lda,
                   panelsB: .packedPerCall(packPanels), beta: 0, c: c, ldc: ldc, bias: bias)
    }

    /// The `GemmPanelPacker` of op(B) = Wᵀ: panel q holds, for each depth p, the nr weights
    /// W[j0 + nr·q + x, p0 + p] widened to FP32 (zero past column nc).
    private func packPanels(_ packed: UnsafeMutablePointer<Float>, j0: Int, nc: Int, p0: Int, kc: Int, nr: Int,
                            panels: Range<Int>) {
        for q in panels {
            let panel = packed + q * kc * nr
            let first = j0 + q * nr
            let cols = min(nr, nc - q * nr)
            for x in cols..<nr {
                for p in 0..<kc { panel[p * nr + x] = 0 }
            }
            for x in 0..<cols {
                widenRow(first + x, columns: p0..<p0 + kc) { p, value in panel[(p - p0) * nr + x] = value }
            }
        }
    }
}
