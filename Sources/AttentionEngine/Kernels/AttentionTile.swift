// The register-tiled SIMD micro-kernel behind every attention tile product.
//
// One routine, C (rows × width) += A (rows × depth) · B (depth × width) with rows <= 4, covers
// every product of fused attention by choosing A's strides:
//   forward   Sᵀ = K·Qᵀ (B = packed Qᵀ chunk)    O += P·V (A = Pᵀ read with swapped strides)
//   backward  S = Q·Kᵀ, dP = dO·Vᵀ (B = packed Kᵀ, Vᵀ tiles)
//             dV += Pᵀ·dO   dK += dSᵀ·Q   dQ += dS·K
// A's elements are broadcast one at a time, so A may be read along rows or columns
// (Pᵀ is P read with aRowStride 1 and aDepthStride = P's row length). B and C are read as rows
// of SIMD16 lanes: 4 rows × 64 columns keep 16 accumulators in registers (AVX-512 has 32),
// with 4 loads of B and 4 broadcasts of A per 16 FMAs.

/// Keys per tile: the width of a score tile, four SIMD16 registers.
let attentionKeyTile = 64

/// C[r, 0..<width] (+)= Σ_k A(r, k) · B[k, 0..<width] for r in 0..<rows (1...4), where
/// A(r, k) = a[r·aRowStride + k·aDepthStride], B's rows are `ldb` apart and C's rows `ldc`.
/// With `accumulate` false, C is overwritten (not read).
///
/// The sum over k runs in increasing k with one FMA per term, whatever the tile's position, so
/// a C element's value depends only on its inputs. Rows beyond `rows` alias the last valid row:
/// they compute and store the same bits again, which keeps the kernels free of row branches.
@inline(__always)
func tileMultiplyAdd(rows: Int, width: Int, depth: Int, accumulate: Bool = true,
                     c: UnsafeMutablePointer<Float>, ldc: Int,
                     a: UnsafePointer<Float>, aRowStride: Int, aDepthStride: Int,
                     b: UnsafePointer<Float>, ldb: Int) {
    let last = rows - 1
    let a0 = a, a1 = a + min(1, last) * aRowStride
    let a2 = a + min(2, last) * aRowStride, a3 = a + min(3, last) * aRowStride
    let c0 = c, c1 = c + min(1, last) * ldc, c2 = c + min(2, last) * ldc, c3 = c + min(3, last) * ldc
    var column = 0
    while column + 64 <= width {
        tile4x64(depth, accumulate, c0 + column, c1 + column, c2 + column, c3 + column,
                 a0, a1, a2, a3, aDepthStride, b + column, ldb)
        column += 64
    }
    if column + 32 <= width {
        tile4x32(depth, accumulate, c0 + column, c1 + column, c2 + column, c3 + column,
                 a0, a1, a2, a3, aDepthStride, b + column, ldb)
        column += 32
    }
    if column + 16 <= width {
        tile4x16(depth, accumulate, c0 + column, c1 + column, c2 + column, c3 + column,
                 a0, a1, a2, a3, aDepthStride, b + column, ldb)
        column += 16
    }
    // Columns past the last full vector (head sizes that are not a multiple of 16).
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

/// The accumulator's start: C's lanes, or zeros.
@inline(__always)
private func load(_ c: UnsafeMutablePointer<Float>, _ accumulate: Bool) -> SIMD16<Float> {
    accumulate ? load16(c) : SIMD16<Float>()
}

@inline(__always)
private func tile4x64(_ depth: Int, _ accumulate: Bool,
                      _ c0: UnsafeMutablePointer<Float>, _ c1: UnsafeMutablePointer<Float>,
                      _ c2: UnsafeMutablePointer<Float>, _ c3: UnsafeMutablePointer<Float>,
                      _ a0: UnsafePointer<Float>, _ a1: UnsafePointer<Float>,
                      _ a2: UnsafePointer<Float>, _ a3: UnsafePointer<Float>, _ ads: Int,
                      _ b: UnsafePointer<Float>, _ ldb: Int) {
    var s00 = load(c0, accumulate), s01 = load(c0 + 16, accumulate), s02 = load(c0 + 32, accumulate), s03 = load(c0 + 48, accumulate)
    var s10 = load(c1, accumulate), s11 = load(c1 + 16, accumulate), s12 = load(c1 + 32, accumulate), s13 = load(c1 + 48, accumulate)
    var s20 = load(c2, accumulate), s21 = load(c2 + 16, accumulate), s22 = load(c2 + 32, accumulate), s23 = load(c2 + 48, accumulate)
    var s30 = load(c3, accumulate), s31 = load(c3 + 16, accumulate), s32 = load(c3 + 32, accumulate), s33 = load(c3 + 48, accumulate)
    var bRow = b
    var offset = 0
    for _ in 0..<depth {
        let b0 = load16(bRow), b1 = load16(bRow + 16)
        let b2 = load16(bRow + 32), b3 = load16(bRow + 48)
        let x0 = SIMD16<Float>(repeating: a0[offset])
        s00 = s00.addingProduct(x0, b0); s01 = s01.addingProduct(x0, b1)
        s02 = s02.addingProduct(x0, b2); s03 = s03.addingProduct(x0, b3)
        let x1 = SIMD16<Float>(repeating: a1[offset])
        s10 = s10.addingProduct(x1, b0); s11 = s11.addingProduct(x1, b1)
        s12 = s12.addingProduct(x1, b2); s13 = s13.addingProduct(x1, b3)
        let x2 = SIMD16<Float>(repeating: a2[offset])
        s20 = s20.addingProduct(x2, b0); s21 = s21.addingProduct(x2, b1)
        s22 = s22.addingProduct(x2, b2); s23 = s23.addingProduct(x2, b3)
        let x3 = SIMD16<Float>(repeating: a3[offset])
        s30 = s30.addingProduct(x3, b0); s31 = s31.addingProduct(x3, b1)
        s32 = s32.addingProduct(x3, b2); s33 = s33.addingProduct(x3, b3)
        bRow += ldb
        offset += ads
    }
    store16(s30, c3); store16(s31, c3 + 16); store16(s32, c3 + 32); store16(s33, c3 + 48)
    store16(s20, c2); store16(s21, c2 + 16); store16(s22, c2 + 32); store16(s23, c2 + 48)
    store16(s10, c1); store16(s11, c1 + 16); store16(s12, c1 + 32); store16(s13, c1 + 48)
    store16(s00, c0); store16(s01, c0 + 16); store16(s02, c0 + 32); store16(s03, c0 + 48)
}

@inline(__always)
private func tile4x32(_ depth: Int, _ accumulate: Bool,
                      _ c0: UnsafeMutablePointer<Float>, _ c1: UnsafeMutablePointer<Float>,
                      _ c2: UnsafeMutablePointer<Float>, _ c3: UnsafeMutablePointer<Float>,
                      _ a0: UnsafePointer<Float>, _ a1: UnsafePointer<Float>,
                      _ a2: UnsafePointer<Float>, _ a3: UnsafePointer<Float>, _ ads: Int,
                      _ b: UnsafePointer<Float>, _ ldb: Int) {
    var s00 = load(c0, accumulate), s01 = load(c0 + 16, accumulate)
    var s10 = load(c1, accumulate), s11 = load(c1 + 16, accumulate)
    var s20 = load(c2, accumulate), s21 = load(c2 + 16, accumulate)
    var s30 = load(c3, accumulate), s31 = load(c3 + 16, accumulate)
    var bRow = b
    var offset = 0
    for _ in 0..<depth {
        let b0 = load16(bRow), b1 = load16(bRow + 16)
        let x0 = SIMD16<Float>(repeating: a0[offset])
        s00 = s00.addingProduct(x0, b0); s01 = s01.addingProduct(x0, b1)
        let x1 = SIMD16<Float>(repeating: a1[offset])
        s10 = s10.addingProduct(x1, b0); s11 = s11.addingProduct(x1, b1)
        let x2 = SIMD16<Float>(repeating: a2[offset])
        s20 = s20.addingProduct(x2, b0); s21 = s21.addingProduct(x2, b1)
        let x3 = SIMD16<Float>(repeating: a3[offset])
        s30 = s30.addingProduct(x3, b0); s31 = s31.addingProduct(x3, b1)
        bRow += ldb
        offset += ads
    }
    store16(s30, c3); store16(s31, c3 + 16)
    store16(s20, c2); store16(s21, c2 + 16)
    store16(s10, c1); store16(s11, c1 + 16)
    store16(s00, c0); store16(s01, c0 + 16)
}

@inline(__always)
private func tile4x16(_ depth: Int, _ accumulate: Bool,
                      _ c0: UnsafeMutablePointer<Float>, _ c1: UnsafeMutablePointer<Float>,
                      _ c2: UnsafeMutablePointer<Float>, _ c3: UnsafeMutablePointer<Float>,
                      _ a0: UnsafePointer<Float>, _ a1: UnsafePointer<Float>,
                      _ a2: UnsafePointer<Float>, _ a3: UnsafePointer<Float>, _ ads: Int,
                      _ b: UnsafePointer<Float>, _ ldb: Int) {
    var s0 = load(c0, accumulate), s1 = load(c1, accumulate)
    var s2 = load(c2, accumulate), s3 = load(c3, accumulate)
    var bRow = b
    var offset = 0
    for _ in 0..<depth {
        let b0 = load16(bRow)
        s0 = s0.addingProduct(SIMD16<Float>(repeating: a0[offset]), b0)
        s1 = s1.addingProduct(SIMD16<Float>(repeating: a1[offset]), b0)
        s2 = s2.addingProduct(SIMD16<Float>(repeating: a2[offset]), b0)
        s3 = s3.addingProduct(SIMD16<Float>(repeating: a3[offset]), b0)
        bRow += ldb
        offset += ads
    }
    store16(s3, c3); store16(s2, c2); store16(s1, c1); store16(s0, c0)
}

/// Packs keys `j0 ..< j0 + count` of `source` (rows of `headSize` floats, e.g. K or V of one
/// head) transposed into `packed` (headSize, attentionKeyTile); columns past `count` are 0.
@inline(__always)
func packTransposedKeyTile(_ packed: UnsafeMutablePointer<Float>, _ source: UnsafePointer<Float>,
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
@inline(__always)
func keyTileBias(_ bias: UnsafeMutablePointer<Float>, keyPaddingMask: UnsafePointer<UInt8>?,
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
@inline(__always)
var laneIndices: SIMD16<Float> {
    SIMD16<Float>(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15)
}

