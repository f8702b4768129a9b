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
                if rows == mr {
                    target[0] = source[0]; target[1] = source[1]; target[2] = source[2]
                    target[3] = source[3]; target[4] = source[4]; target[5] = source[5]
                } else {
                    for r in 0..<mr { target[r] = r < rows ? source[r] : 0 }
                }
            }
        } else if rows == mr {
            // A is stored (m, k): read six rows side by side, write each p's six values
            // contiguously (the transposed loop order makes the compiler emit slow scatters).
            let s0 = a + (i0 + q) * lda + p0
            let s1 = s0 + lda, s2 = s1 + lda, s3 = s2 + lda, s4 = s3 + lda, s5 = s4 + lda
            for p in 0..<kc {
                let target = panel + p * mr
                target[0] = s0[p]; target[1] = s1[p]; target[2] = s2[p]
                target[3] = s3[p]; target[4] = s4[p]; target[5] = s5[p]
            }
        } else {
            for p in 0..<kc {
                for r in 0..<mr { panel[p * mr + r] = r < rows ? a[(i0 + q + r) * lda + p0 + p] : 0 }
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
    typealias V = SIMD8<Float>
    for q in panels {
        let panel = packed + q * kc * nr
        let first = j0 + q * nr
        let cols = min(nr, nc - q * nr)
        if transB {
            // B is stored (n, k): op(B)'s row p gathers one value from each of the cols rows.
            let source = b + first * ldb + p0
            for p in 0..<kc {
                let target = panel + p * nr
                for x in 0..<nr { target[x] = x < cols ? source[x * ldb + p] : 0 }
            }
        } else if cols == nr {
            // B is stored (k, n): the nr values of one p are contiguous.
            for p in 0..<kc {
                let source = UnsafeRawPointer(b + (p0 + p) * ldb + first)
                let target = UnsafeMutableRawPointer(panel + p * nr)
                for offset in stride(from: 0, to: nr * 4, by: 32) {
                    target.storeBytes(of: source.loadUnaligned(fromByteOffset: offset, as: V.self),
                                      toByteOffset: offset, as: V.self)
                }
            }
        } else {
            for p in 0..<kc {
                let source = b + (p0 + p) * ldb + first
                let target = panel + p * nr
                for x in 0..<nr { target[x] = x < cols ? source[x] : 0 }
            }
        }
    }
}
