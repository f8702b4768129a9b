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
            // Full panels go 16 rows × 16 depths at a time through a register transpose.
            let source = b + first * ldb + p0
            var start = 0
            if cols == nr && nr % 16 == 0 {
                while start + 16 <= kc {
                    for x in stride(from: 0, to: nr, by: 16) {
                        transpose16x16(source + x * ldb + start, ld: ldb, into: panel + start * nr + x, ldOut: nr)
                    }
                    start += 16
                }
            }
            for p in start..<kc {
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

/// target[i·ldOut + x] = source[x·ld + i] for x, i in 0..<16: a 16×16 block transposed in
/// registers by four perfect shuffles (each output row pairs the even, then the odd, lanes of two
/// input rows; after log2(16) rounds row i holds input column i). Compiles to permutes
/// (vpermi2ps), about three times fewer instructions than an element-by-element gather.
@inline(__always)
private func transpose16x16(_ source: UnsafePointer<Float>, ld: Int, into target: UnsafeMutablePointer<Float>,
                            ldOut: Int) {
    typealias V = SIMD16<Float>
    func row(_ x: Int) -> V { UnsafeRawPointer(source + x * ld).loadUnaligned(as: V.self) }
    func store(_ v: V, _ i: Int) { UnsafeMutableRawPointer(target + i * ldOut).storeBytes(of: v, as: V.self) }
    var r = (row(0), row(1), row(2), row(3), row(4), row(5), row(6), row(7), row(8), row(9), row(10), row(11), row(12), row(13), row(14), row(15))
    for _ in 0..<4 {
        r = (V(lowHalf: r.0.evenHalf, highHalf: r.1.evenHalf),
             V(lowHalf: r.2.evenHalf, highHalf: r.3.evenHalf),
             V(lowHalf: r.4.evenHalf, highHalf: r.5.evenHalf),
             V(lowHalf: r.6.evenHalf, highHalf: r.7.evenHalf),
             V(lowHalf: r.8.evenHalf, highHalf: r.9.evenHalf),
             V(lowHalf: r.10.evenHalf, highHalf: r.11.evenHalf),
             V(lowHalf: r.12.evenHalf, highHalf: r.13.evenHalf),
             V(lowHalf: r.14.evenHalf, highHalf: r.15.evenHalf),
             V(lowHalf: r.0.oddHalf, highHalf: r.1.oddHalf),
             V(lowHalf: r.2.oddHalf, highHalf: r.3.oddHalf),
             V(lowHalf: r.4.oddHalf, highHalf: r.5.oddHalf),
             V(lowHalf: r.6.oddHalf, highHalf: r.7.oddHalf),
             V(lowHalf: r.8.oddHalf, highHalf: r.9.oddHalf),
             V(lowHalf: r.10.oddHalf, highHalf: r.11.oddHalf),
             V(lowHalf: r.12.oddHalf, highHalf: r.13.oddHalf),
             V(lowHalf: r.14.oddHalf, highHalf: r.15.oddHalf))
    }
    store(r.0, 0)
    store(r.1, 1)
    store(r.2, 2)
    store(r.3, 3)
    store(r.4, 4)
    store(r.5, 5)
    store(r.6, 6)
    store(r.7, 7)
    store(r.8, 8)
    store(r.9, 9)
    store(r.10, 10)
    store(r.11, 11)
    store(r.12, 12)
    store(r.13, 13)
    store(r.14, 14)
    store(r.15, 15)
}
