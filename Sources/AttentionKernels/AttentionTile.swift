// The register-tiled SIMD micro-kernel behind every attention tile product, generic over the
// vector type V (SIMD16<Float> on AVX-512, SIMD8<Float> on AVX2) and specialised per ISA in the
// AttentionKernelsAVX512 / AttentionKernelsAVX2 modules.
//
// One routine, C (rows × width) += A (rows × depth) · B (depth × width) with rows <= 4, covers
// every product of fused attention by choosing A's strides:
//   forward   Sᵀ = K·Qᵀ (B = packed Qᵀ chunk)    O += P·V (A = Pᵀ read with swapped strides)
//   backward  S = Q·Kᵀ, dP = dO·Vᵀ (B = packed Kᵀ, Vᵀ tiles)
//             dV += Pᵀ·dO   dK += dSᵀ·Q   dQ += dS·K
// A's elements are broadcast one at a time, so A may be read along rows or columns
// (Pᵀ is P read with aRowStride 1 and aDepthStride = P's row length). B and C are read as rows
// of V lanes. The register budget sets the widest tile: 4 rows × 4 vectors (16 accumulators,
// 4 loads of B and 4 broadcasts of A per 16 FMAs) fits AVX-512's 32 registers; AVX2 has 16,
// where that tile spills, so SIMD8 runs 4 rows × 3 vectors (12 accumulators + 3 loads + 1
// broadcast), then 2 and 1 vectors for the rest of the width (avoiding the 4×1 tile, whose 4
// accumulators cannot cover the FMA latency). Every element of C gets the same FMA sequence
// whatever the tile width, so both ISAs compute bitwise identical results.

/// Keys per tile: the width of a score tile (four SIMD16 or eight SIMD8 registers).
@usableFromInline package let attentionKeyTile = 64

/// C[r, 0..<width] (+)= Σ_k A(r, k) · B[k, 0..<width] for r in 0..<rows (1...4), where
/// A(r, k) = a[r·aRowStride + k·aDepthStride], B's rows are `ldb` apart and C's rows `ldc`.
/// With `accumulate` false, C is overwritten (not read).
///
/// The sum over k runs in increasing k with one FMA per term, whatever the tile's position or
/// the vector width, so a C element's value depends only on its inputs. Rows beyond `rows`
/// alias the last valid row: they compute and store the same bits again, which keeps the
/// kernels free of row branches.
@inlinable @inline(__always)
package func tileMultiplyAdd<V: SIMD>(_: V.Type, rows: Int, width: Int, depth: Int,
                                      accumulate: Bool = true,
                                      c: UnsafeMutablePointer<Float>, ldc: Int,
                                      a: UnsafePointer<Float>, aRowStride: Int, aDepthStride: Int,
                                      b: UnsafePointer<Float>, ldb: Int) where V.Scalar == Float {
    let w = V.scalarCount
    let last = rows - 1
    let a0 = a, a1 = a + min(1, last) * aRowStride
    let a2 = a + min(2, last) * aRowStride, a3 = a + min(3, last) * aRowStride
    let c0 = c, c1 = c + min(1, last) * ldc, c2 = c + min(2, last) * ldc, c3 = c + min(3, last) * ldc
    var column = 0
    if w >= 16 {
        while column + 4 * w <= width {
            tile4x4(V.self, depth, accumulate, c0 + column, c1 + column, c2 + column, c3 + column,
                    a0, a1, a2, a3, aDepthStride, b + column, ldb)
            column += 4 * w
        }
    } else {
        // 4×3 tiles while at least 3 vectors remain, except that 4 remaining vectors go as 2 + 2
        // (so 3k + 1 vectors end 3, 2, 2 rather than 3, 1: the 4 accumulators of a 4×1 tile
        // are too few to hide the FMA latency on two pipes; HS 32, 80 and 128 hit this).
        while column + 3 * w <= width && width - column < 4 * w || width - column >= 5 * w {
            tile4x3(V.self, depth, accumulate, c0 + column, c1 + column, c2 + column, c3 + column,
                    a0, a1, a2, a3, aDepthStride, b + column, ldb)
            column += 3 * w
        }
    }
    while column + 2 * w <= width {
        tile4x2(V.self, depth, accumulate, c0 + column, c1 + column, c2 + column, c3 + column,
                a0, a1, a2, a3, aDepthStride, b + column, ldb)
        column += 2 * w
    }
    if column + w <= width {
        tile4x1(V.self, depth, accumulate, c0 + column, c1 + column, c2 + column, c3 + column,
                a0, a1, a2, a3, aDepthStride, b + column, ldb)
        column += w
    }
    // Columns past the last full vector (head sizes that are not a multiple of the width).
    while column < width {
        for r in 0..<rows {
            var sum = accumulate ? c[r * ldc + column] : 0
            for k in 0..<depth {
                sum = sum.addingProduct(a[r * aRowStride + k * aDepthStride], b[k * ldb + column])
            }
            c[r * ldc + column] = sum
        }
        column += 1
    }
}

@inlinable @inline(__always)
func loadVector<V: SIMD>(_ p: UnsafePointer<Float>) -> V where V.Scalar == Float {
    UnsafeRawPointer(p).loadUnaligned(as: V.self)
}

@inlinable @inline(__always)
func storeVector<V: SIMD>(_ value: V, _ p: UnsafeMutablePointer<Float>) where V.Scalar == Float {
    UnsafeMutableRawPointer(p).storeBytes(of: value, as: V.self)
}

/// The accumulator's start: C's lanes, or zeros.
@inlinable @inline(__always)
func loadAccumulator<V: SIMD>(_ c: UnsafeMutablePointer<Float>, _ accumulate: Bool) -> V
where V.Scalar == Float {
    accumulate ? loadVector(c) : V()
}

/// C (4 × 4W) (+)= A (4 × depth) · B (depth × 4W): 16 accumulators.
@inlinable @inline(__always)
func tile4x4<V: SIMD>(_: V.Type, _ depth: Int, _ accumulate: Bool,
                      _ c0: UnsafeMutablePointer<Float>, _ c1: UnsafeMutablePointer<Float>,
                      _ c2: UnsafeMutablePointer<Float>, _ c3: UnsafeMutablePointer<Float>,
                      _ a0: UnsafePointer<Float>, _ a1: UnsafePointer<Float>,
                      _ a2: UnsafePointer<Float>, _ a3: UnsafePointer<Float>, _ ads: Int,
                      _ b: UnsafePointer<Float>, _ ldb: Int) where V.Scalar == Float {
    let w = V.scalarCount
    var s00: V = loadAccumulator(c0, accumulate), s01: V = loadAccumulator(c0 + w, accumulate)
    var s02: V = loadAccumulator(c0 + 2 * w, accumulate), s03: V = loadAccumulator(c0 + 3 * w, accumulate)
    var s10: V = loadAccumulator(c1, accumulate), s11: V = loadAccumulator(c1 + w, accumulate)
    var s12: V = loadAccumulator(c1 + 2 * w, accumulate), s13: V = loadAccumulator(c1 + 3 * w, accumulate)
    var s20: V = loadAccumulator(c2, accumulate), s21: V = loadAccumulator(c2 + w, accumulate)
    var s22: V = loadAccumulator(c2 + 2 * w, accumulate), s23: V = loadAccumulator(c2 + 3 * w, accumulate)
    var s30: V = loadAccumulator(c3, accumulate), s31: V = loadAccumulator(c3 + w, accumulate)
    var s32: V = loadAccumulator(c3 + 2 * w, accumulate), s33: V = loadAccumulator(c3 + 3 * w, accumulate)
    var bRow = b
    var offset = 0
    for _ in 0..<depth {
        let b0: V = loadVector(bRow), b1: V = loadVector(bRow + w)
        let b2: V = loadVector(bRow + 2 * w), b3: V = loadVector(bRow + 3 * w)
        let x0 = V(repeating: a0[offset])
        s00 = s00.addingProduct(x0, b0); s01 = s01.addingProduct(x0, b1)
        s02 = s02.addingProduct(x0, b2); s03 = s03.addingProduct(x0, b3)
        let x1 = V(repeating: a1[offset])
        s10 = s10.addingProduct(x1, b0); s11 = s11.addingProduct(x1, b1)
        s12 = s12.addingProduct(x1, b2); s13 = s13.addingProduct(x1, b3)
        let x2 = V(repeating: a2[offset])
        s20 = s20.addingProduct(x2, b0); s21 = s21.addingProduct(x2, b1)
        s22 = s22.addingProduct(x2, b2); s23 = s23.addingProduct(x2, b3)
        let x3 = V(repeating: a3[offset])
        s30 = s30.addingProduct(x3, b0); s31 = s31.addingProduct(x3, b1)
        s32 = s32.addingProduct(x3, b2); s33 = s33.addingProduct(x3, b3)
        bRow += ldb
        offset += ads
    }
    // Last row first: aliased rows (rows < 4) then end with the valid row's store.
    storeVector(s30, c3); storeVector(s31, c3 + w); storeVector(s32, c3 + 2 * w); storeVector(s33, c3 + 3 * w)
    storeVector(s20, c2); storeVector(s21, c2 + w); storeVector(s22, c2 + 2 * w); storeVector(s23, c2 + 3 * w)
    storeVector(s10, c1); storeVector(s11, c1 + w); storeVector(s12, c1 + 2 * w); storeVector(s13, c1 + 3 * w)
    storeVector(s00, c0); storeVector(s01, c0 + w); storeVector(s02, c0 + 2 * w); storeVector(s03, c0 + 3 * w)
}

/// C (4 × 3W) (+)= A (4 × depth) · B (depth × 3W): 12 accumulators, 3 loads of B and 1
/// broadcast register: all 16 registers of AVX2, 12 FMAs per 7 loads.
@inlinable @inline(__always)
func tile4x3<V: SIMD>(_: V.Type, _ depth: Int, _ accumulate: Bool,
                      _ c0: UnsafeMutablePointer<Float>, _ c1: UnsafeMutablePointer<Float>,
                      _ c2: UnsafeMutablePointer<Float>, _ c3: UnsafeMutablePointer<Float>,
                      _ a0: UnsafePointer<Float>, _ a1: UnsafePointer<Float>,
                      _ a2: UnsafePointer<Float>, _ a3: UnsafePointer<Float>, _ ads: Int,
                      _ b: UnsafePointer<Float>, _ ldb: Int) where V.Scalar == Float {
    let w = V.scalarCount
    var s00: V = loadAccumulator(c0, accumulate), s01: V = loadAccumulator(c0 + w, accumulate)
    var s02: V = loadAccumulator(c0 + 2 * w, accumulate)
    var s10: V = loadAccumulator(c1, accumulate), s11: V = loadAccumulator(c1 + w, accumulate)
    var s12: V = loadAccumulator(c1 + 2 * w, accumulate)
    var s20: V = loadAccumulator(c2, accumulate), s21: V = loadAccumulator(c2 + w, accumulate)
    var s22: V = loadAccumulator(c2 + 2 * w, accumulate)
    var s30: V = loadAccumulator(c3, accumulate), s31: V = loadAccumulator(c3 + w, accumulate)
    var s32: V = loadAccumulator(c3 + 2 * w, accumulate)
    var bRow = b
    var offset = 0
    for _ in 0..<depth {
        let b0: V = loadVector(bRow), b1: V = loadVector(bRow + w), b2: V = loadVector(bRow + 2 * w)
        let x0 = V(repeating: a0[offset])
        s00 = s00.addingProduct(x0, b0); s01 = s01.addingProduct(x0, b1); s02 = s02.addingProduct(x0, b2)
        let x1 = V(repeating: a1[offset])
        s10 = s10.addingProduct(x1, b0); s11 = s11.addingProduct(x1, b1); s12 = s12.addingProduct(x1, b2)
        let x2 = V(repeating: a2[offset])
        s20 = s20.addingProduct(x2, b0); s21 = s21.addingProduct(x2, b1); s22 = s22.addingProduct(x2, b2)
        let x3 = V(repeating: a3[offset])
        s30 = s30.addingProduct(x3, b0); s31 = s31.addingProduct(x3, b1); s32 = s32.addingProduct(x3, b2)
        bRow += ldb
        offset += ads
    }
    storeVector(s30, c3); storeVector(s31, c3 + w); storeVector(s32, c3 + 2 * w)
    storeVector(s20, c2); storeVector(s21, c2 + w); storeVector(s22, c2 + 2 * w)
    storeVector(s10, c1); storeVector(s11, c1 + w); storeVector(s12, c1 + 2 * w)
    storeVector(s00, c0); storeVector(s01, c0 + w); storeVector(s02, c0 + 2 * w)
}

/// C (4 × 2W) (+)= A (4 × depth) · B (depth × 2W): 8 accumulators.
@inlinable @inline(__always)
func tile4x2<V: SIMD>(_: V.Type, _ depth: Int, _ accumulate: Bool,
                      _ c0: UnsafeMutablePointer<Float>, _ c1: UnsafeMutablePointer<Float>,
                      _ c2: UnsafeMutablePointer<Float>, _ c3: UnsafeMutablePointer<Float>,
                      _ a0: UnsafePointer<Float>, _ a1: UnsafePointer<Float>,
                      _ a2: UnsafePointer<Float>, _ a3: UnsafePointer<Float>, _ ads: Int,
                      _ b: UnsafePointer<Float>, _ ldb: Int) where V.Scalar == Float {
    let w = V.scalarCount
    var s00: V = loadAccumulator(c0, accumulate), s01: V = loadAccumulator(c0 + w, accumulate)
    var s10: V = loadAccumulator(c1, accumulate), s11: V = loadAccumulator(c1 + w, accumulate)
    var s20: V = loadAccumulator(c2, accumulate), s21: V = loadAccumulator(c2 + w, accumulate)
    var s30: V = loadAccumulator(c3, accumulate), s31: V = loadAccumulator(c3 + w, accumulate)
    var bRow = b
    var offset = 0
    for _ in 0..<depth {
        let b0: V = loadVector(bRow), b1: V = loadVector(bRow + w)
        let x0 = V(repeating: a0[offset])
        s00 = s00.addingProduct(x0, b0); s01 = s01.addingProduct(x0, b1)
        let x1 = V(repeating: a1[offset])
        s10 = s10.addingProduct(x1, b0); s11 = s11.addingProduct(x1, b1)
        let x2 = V(repeating: a2[offset])
        s20 = s20.addingProduct(x2, b0); s21 = s21.addingProduct(x2, b1)
        let x3 = V(repeating: a3[offset])
        s30 = s30.addingProduct(x3, b0); s31 = s31.addingProduct(x3, b1)
        bRow += ldb
        offset += ads
    }
    storeVector(s30, c3); storeVector(s31, c3 + w)
    storeVector(s20, c2); storeVector(s21, c2 + w)
    storeVector(s10, c1); storeVector(s11, c1 + w)
    storeVector(s00, c0); storeVector(s01, c0 + w)
}

/// C (4 × W) (+)= A (4 × depth) · B (depth × W): 4 accumulators.
@inlinable @inline(__always)
func tile4x1<V: SIMD>(_: V.Type, _ depth: Int, _ accumulate: Bool,
                      _ c0: UnsafeMutablePointer<Float>, _ c1: UnsafeMutablePointer<Float>,
                      _ c2: UnsafeMutablePointer<Float>, _ c3: UnsafeMutablePointer<Float>,
                      _ a0: UnsafePointer<Float>, _ a1: UnsafePointer<Float>,
                      _ a2: UnsafePointer<Float>, _ a3: UnsafePointer<Float>, _ ads: Int,
                      _ b: UnsafePointer<Float>, _ ldb: Int) where V.Scalar == Float {
    var s0: V = loadAccumulator(c0, accumulate), s1: V = loadAccumulator(c1, accumulate)
    var s2: V = loadAccumulator(c2, accumulate), s3: V = loadAccumulator(c3, accumulate)
    var bRow = b
    var offset = 0
    for _ in 0..<depth {
        let b0: V = loadVector(bRow)
        s0 = s0.addingProduct(V(repeating: a0[offset]), b0)
        s1 = s1.addingProduct(V(repeating: a1[offset]), b0)
        s2 = s2.addingProduct(V(repeating: a2[offset]), b0)
        s3 = s3.addingProduct(V(repeating: a3[offset]), b0)
        bRow += ldb
        offset += ads
    }
    storeVector(s3, c3); storeVector(s2, c2); storeVector(s1, c1); storeVector(s0, c0)
}

/// Packs keys `j0 ..< j0 + count` of `source` (rows of `headSize` floats, e.g. K or V of one
/// head) transposed into `packed` (headSize, attentionKeyTile); columns past `count` are 0.
@inlinable @inline(__always)
package func packTransposedKeyTile(_ packed: UnsafeMutablePointer<Float>, _ source: UnsafePointer<Float>,
                           count: Int, headSize: Int) {
    for d in 0..<headSize {
        let row = packed + d * attentionKeyTile
        for j in 0..<count { row[j] = source[j * headSize + d] }
        for j in count..<attentionKeyTile { row[j] = 0 }
    }
}

/// Writes the additive key mask of one tile into `bias` (attentionKeyTile): 0 for a visible
/// key, -inf for a padded key (nonzero `keyPaddingMask` entry) or a column past `count`.
/// Returns whether any key of the tile is visible (fully padded tiles are skipped).
@inlinable @inline(__always)
package func keyTileBias(_ bias: UnsafeMutablePointer<Float>, keyPaddingMask: UnsafePointer<UInt8>?,
                 count: Int) -> Bool {
    var anyVisible = false
    for j in 0..<attentionKeyTile {
        let visible = j < count && (keyPaddingMask == nil || keyPaddingMask![j] == 0)
        bias[j] = visible ? 0 : -.infinity
        anyVisible = anyVisible || visible
    }
    return anyVisible
}

/// Lane indices 0, 1, ..., 15 as floats, for comparing columns against the causal limit.
@inlinable @inline(__always)
package var laneIndices: SIMD16<Float> {
    SIMD16<Float>(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15)
}

