/// Packing of GEMM operands into the micro-panel layouts the register tile streams through.
///
/// Packing absorbs the four transpose combinations and the leading dimensions, so that one
/// micro-kernel serves all of them, and zero-pads edge panels so that it never reads past an
/// operand. Letters: op(A) is (m, k), op(B) is (k, n); a block covers rows i0..<i0+mc of op(A)
/// or columns j0..<j0+nc of op(B), and depths p0..<p0+kc.

/// Packs op(A)[i0..<i0+mc, p0..<p0+kc] into ceil(mc / MR) micro-panels (kc, MR): panel q holds,
/// for each p, the MR values op(A)[i0 + MR·q + r, p0 + p], zero for rows past mc.
/// `packed` holds ceil(mc / MR) · kc · MR floats.
func gemmPackA(_ packed: UnsafeMutablePointer<Float>,
               a: UnsafePointer<Float>, lda: Int, transA: Bool,
               i0: Int, mc: Int, p0: Int, kc: Int) {
    let mr = gemmMR
    var panel = packed
    for q in stride(from: 0, to: mc, by: mr) {
        let rows = min(mr, mc - q)
        if transA {
            // A is stored (k, m): the MR values of one p are contiguous.
            for p in 0..<kc {
                let source = a + (p0 + p) * lda + i0 + q
                let target = panel + p * mr
                for r in 0..<rows { target[r] = source[r] }
                for r in rows..<mr { target[r] = 0 }
            }
        } else {
            // A is stored (m, k): each row is contiguous in p.
            for r in 0..<rows {
                let source = a + (i0 + q + r) * lda + p0
                for p in 0..<kc { panel[p * mr + r] = source[p] }
            }
            for r in rows..<mr {
                for p in 0..<kc { panel[p * mr + r] = 0 }
            }
        }
        panel += kc * mr
    }
}

/// Packs op(B)[p0..<p0+kc, j0..<j0+nc] into ceil(nc / nr) micro-panels (kc, nr): panel q holds,
/// for each p, the nr values op(B)[p0 + p, j0 + nr·q + x], zero for columns past nc.
/// Packs only panels `panels` (a sub-range of 0..<ceil(nc / nr)), so that several threads can
/// share the work. `packed` holds ceil(nc / nr) · kc · nr floats.
func gemmPackB(_ packed: UnsafeMutablePointer<Float>,
               b: UnsafePointer<Float>, ldb: Int, transB: Bool,
               j0: Int, nc: Int, p0: Int, kc: Int, nr: Int, panels: Range<Int>) {
    for q in panels {
        let panel = packed + q * kc * nr
        let first = j0 + q * nr
        let cols = min(nr, nc - q * nr)
        if transB {
            // B is stored (n, k): each column of op(B) is contiguous in p.
            for x in 0..<cols {
                let source = b + (first + x) * ldb + p0
                for p in 0..<kc { panel[p * nr + x] = source[p] }
            }
            for x in cols..<nr {
                for p in 0..<kc { panel[p * nr + x] = 0 }
            }
        } else {
            // B is stored (k, n): the nr values of one p are contiguous.
            for p in 0..<kc {
                let source = b + (p0 + p) * ldb + first
                let target = panel + p * nr
                for x in 0..<cols { target[x] = source[x] }
                for x in cols..<nr { target[x] = 0 }
            }
        }
    }
}
