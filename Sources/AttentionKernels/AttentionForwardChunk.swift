import CAttentionShims
import Foundation

// The work item of the fused attention forward (AttentionForward.swift in AttentionEngine runs
// the items in parallel): 256 queries of one head on AVX-512, 288 on AVX2, against all the keys
// they may see, generic over the vector type of the tile products and specialised per ISA.
//
// Letters: Tq queries, Tk keys, HS head size (pointers are offset to one head).

/// Queries per work item of the forward on vectors of `vectorWidth` floats: 4 blocks of 64 on
/// AVX-512, 6 of 48 on AVX2. Qᵀ is packed (scalar transposes) once per item and reused against
/// every key tile, which keeps packing a few percent of the work, and each K/V tile copy serves
/// all the blocks.
@inlinable package func forwardQueryChunk(vectorWidth: Int) -> Int {
    vectorWidth >= 16 ? 256 : 288
}

/// Queries per block on vectors of `vectorWidth` floats: a score tile is 64 keys × block
/// queries, a row of it whole register tiles. AVX-512: 64 (one 4 × 4 tile of SIMD16). AVX2: 48,
/// two 4 × 3 tiles of SIMD8 (64 ends with a 4 × 2 tile), and the Qᵀ block and score tile (12 KB
/// each at HS 64 instead of 16) leave L1 room for the K or V tile the products stream.
@inlinable package func forwardQueryBlock(vectorWidth: Int) -> Int {
    vectorWidth >= 16 ? 64 : 48
}

/// The largest `forwardQueryChunk` of any ISA, which sizes the scratch.
@usableFromInline package let forwardQueryChunkCapacity =
    max(forwardQueryChunk(vectorWidth: 8), forwardQueryChunk(vectorWidth: 16))

/// Per-thread buffers of the tiled forward, all small and independent of Tk.
@usableFromInline package struct ForwardScratch {
    @usableFromInline package let packedQueries: UnsafeMutablePointer<Float> // (blocks, HS, block) Qᵀ of the chunk's blocks, 0-padded
    @usableFromInline package let output: UnsafeMutablePointer<Float>        // (chunk, HS) unnormalized output rows
    @usableFromInline package let rowMax: UnsafeMutablePointer<Float>        // (chunk) running max of scale·log2(e)·score + mask, then the lse
    @usableFromInline package let rowSum: UnsafeMutablePointer<Float>        // (chunk) running sum of P
    @usableFromInline package let scores: UnsafeMutablePointer<Float>        // (64 keys, 64 queries) Sᵀ, then Pᵀ
    @usableFromInline package let packedKeys: UnsafeMutablePointer<Float>    // (HS, 64) Kᵀ of one tile (probabilities)
    @usableFromInline package let keyBias: UnsafeMutablePointer<Float>       // (64) 0 or -inf per key of the tile
    @usableFromInline package let keyTile: UnsafeMutablePointer<Float>       // (64, HS) K rows of the tile
    @usableFromInline package let valueTile: UnsafeMutablePointer<Float>     // (64, HS) V rows of the tile

    package init(headSize: Int) {
        packedQueries = .allocate(capacity: headSize * forwardQueryChunkCapacity)
        output = .allocate(capacity: forwardQueryChunkCapacity * headSize)
        rowMax = .allocate(capacity: forwardQueryChunkCapacity)
        rowSum = .allocate(capacity: forwardQueryChunkCapacity)
        scores = .allocate(capacity: attentionKeyTile * forwardQueryBlockCapacity)
        packedKeys = .allocate(capacity: headSize * attentionKeyTile)
        keyBias = .allocate(capacity: attentionKeyTile)
        keyTile = .allocate(capacity: attentionKeyTile * headSize)
        valueTile = .allocate(capacity: attentionKeyTile * headSize)
    }

    package func deallocate() {
        for buffer in [packedQueries, output, rowMax, rowSum, scores, packedKeys, keyBias, keyTile,
                       valueTile] {
            buffer.deallocate()
        }
    }
}

/// The largest `forwardQueryBlock` of any ISA, which sizes the scratch.
@usableFromInline package let forwardQueryBlockCapacity =
    max(forwardQueryBlock(vectorWidth: 8), forwardQueryBlock(vectorWidth: 16))

/// Forward of the queries `queries` of one head. Pointers are offset to the head:
/// out, q (Tq,HS); k, v (Tk,HS); lse (Tq); probs (Tq,Tk); keyPaddingMask (Tk).
///
/// Scores are computed transposed, Sᵀ (keys × queries) = K·Qᵀ, so that Qᵀ is packed once per
/// chunk (K rows are read in place as the broadcast operand) and the softmax runs down the key
/// axis with 16 queries per register: running max, sum and rescaling are lane-wise, with no
/// horizontal reductions. Pᵀ then feeds O += P·V by reading it with swapped strides.
/// V is the vector type of the tile products (SIMD16<Float> or SIMD8<Float>).
@inlinable
package func attentionForwardChunk<V: SIMD>(_: V.Type, out: UnsafeMutablePointer<Float>,
                                            lse: UnsafeMutablePointer<Float>?,
                                            probs: UnsafeMutablePointer<Float>?,
                                            q: UnsafePointer<Float>, k: UnsafePointer<Float>,
                                            v: UnsafePointer<Float>,
                                            keyPaddingMask: UnsafePointer<UInt8>?,
                                            queries: Range<Int>, shape: AttentionShape,
                                            scratch: ForwardScratch) where V.Scalar == Float {
    let (Tk, HS) = (shape.keyLength, shape.headSize)
    let i0 = queries.lowerBound, n = queries.count
    let block = forwardQueryBlock(vectorWidth: V.scalarCount), tile = attentionKeyTile
    let chunk = forwardQueryChunk(vectorWidth: V.scalarCount)
    let output = scratch.output, scores = scratch.scores
    output.initialize(repeating: 0, count: n * HS)
    scratch.rowMax.initialize(repeating: -.infinity, count: chunk)
    scratch.rowSum.initialize(repeating: 0, count: chunk)
    // Qᵀ as blocks of (HS, block), each contiguous: a block's rows are 192 or 256 bytes apart,
    // so the 12 or 16 KB the Sᵀ product re-reads for every 4 keys spread over the L1 sets (rows
    // 1 KB apart, as in one (HS, 256) matrix, fall in a quarter of the sets and miss). Query
    // columns past n are 0 (their lanes are computed, never stored).
    for blockStart in stride(from: 0, to: chunk, by: block) {
        let packedBlock = scratch.packedQueries + blockStart * HS
        for d in 0..<HS {
            let row = packedBlock + d * block
            for i in 0..<block {
                row[i] = blockStart + i < n ? q[(i0 + blockStart + i) * HS + d] : 0
            }
        }
    }

    let keyEnd = shape.visibleKeyCount(query: queries.upperBound - 1)
    for j0 in stride(from: 0, to: keyEnd, by: tile) {
        let count = min(tile, Tk - j0)
        guard keyTileBias(scratch.keyBias, keyPaddingMask: keyPaddingMask.map { $0 + j0 },
                          count: count) else { continue }
        // The tile's K and V rows (32 KB at HS 64), used by all the blocks, copied up front: past
        // T ≈ 1024 a head's K and V no longer fit in L2, and a straight copy fetches them from
        // L3 with many misses in flight, where the products would wait for them a few rows at
        // a time in the first block.
        let keyTile = scratch.keyTile, valueTile = scratch.valueTile
        keyTile.update(from: k + j0 * HS, count: count * HS)
        valueTile.update(from: v + j0 * HS, count: count * HS)
        // The next tile's K and V rows are prefetched into L2, a share per block, while this
        // tile computes: its copy then finds them there instead of waiting on L3 or memory
        // (B8 T2048: 128 MB of inputs, K/V first touched by the chunk that sees them all).
        let nextTile = j0 + tile
        let nextFloats = nextTile < keyEnd ? min(tile, Tk - nextTile) * HS : 0
        let blocks = (n + block - 1) / block
        for b0 in stride(from: i0, to: queries.upperBound, by: block) {
            let blockQueries = min(block, queries.upperBound - b0)
            if nextFloats > 0 {
                let part = (b0 - i0) / block
                prefetchShare(k + nextTile * HS, floats: nextFloats, part: part, parts: blocks)
                prefetchShare(v + nextTile * HS, floats: nextFloats, part: part, parts: blocks)
            }
            // Keys of the tile the block's last (most-seeing) query may see.
            let keys = min(count, shape.visibleKeyCount(query: b0 + blockQueries - 1) - j0)
            if keys <= 0 { continue }
            let width = (blockQueries + 15) / 16 * 16
            // Sᵀ (keys, width) = K (keys, HS) · Qᵀ (HS, width), 4 keys at a time; causal rows
            // start at the first 16 queries that see their first key (the rest stays masked).
            for jr in stride(from: 0, to: keys, by: 4) {
                let firstQuery = shape.causal ? max(0, j0 + jr - shape.keyOffset - b0) : 0
                let start = min(firstQuery / 16 * 16, width)
                if start == width { continue }
                tileMultiplyAdd(V.self, rows: min(4, keys - jr), width: width - start, depth: HS,
                                accumulate: false, c: scores + jr * block + start, ldc: block,
                                a: keyTile + jr * HS, aRowStride: HS, aDepthStride: 1,
                                b: scratch.packedQueries + (b0 - i0) * HS + start, ldb: block)
            }
            // Softmax of 16 queries at a time, over the keys the group's last query sees (P of
            // later keys is never read: the P·V depth below stops at the same place).
            for g in stride(from: 0, to: width, by: 16) {
                let rows = min(16, blockQueries - g)
                let groupKeys = min(keys, shape.visibleKeyCount(query: b0 + g + rows - 1) - j0)
                if groupKeys <= 0 { continue }
                onlineSoftmaxColumns(scores + g, keys: groupKeys, ldScores: block,
                                     firstKey: j0, firstQuery: b0 + g,
                                     keyBias: scratch.keyBias, shape: shape,
                                     rowMax: scratch.rowMax + (b0 - i0 + g),
                                     rowSum: scratch.rowSum + (b0 - i0 + g),
                                     output: output + (b0 - i0 + g) * HS, rows: rows)
            }
            // O (4, HS) += P (4, depth) · V (depth, HS), P read from Pᵀ; depth = keys the
            // last of the 4 queries sees.
            for r in stride(from: 0, to: blockQueries, by: 4) {
                let rows = min(4, blockQueries - r)
                let depth = min(keys, shape.visibleKeyCount(query: b0 + r + rows - 1) - j0)
                if depth <= 0 { continue }
                tileMultiplyAdd(V.self, rows: rows, width: HS, depth: depth,
                                c: output + (b0 - i0 + r) * HS, ldc: HS,
                                a: scores + r, aRowStride: 1, aDepthStride: block,
                                b: valueTile, ldb: HS)
            }
        }
    }

    // out = O / sum; lse = max·ln 2 + log(sum) (the max is in base 2). Kept in rowMax for the
    // probabilities.
    for row in 0..<n {
        let sum = scratch.rowSum[row]
        let outRow = out + (i0 + row) * HS
        if sum == 0 {
            outRow.initialize(repeating: 0, count: HS)
            scratch.rowMax[row] = -.infinity
        } else {
            let inverse = 1 / sum
            for d in 0..<HS { outRow[d] = output[row * HS + d] * inverse }
            scratch.rowMax[row] = scratch.rowMax[row] * 0.693147180559945309 + log(sum)
        }
    }
    lse?.advanced(by: i0).update(from: scratch.rowMax, count: n)
    if let probs {
        attentionProbabilitiesChunk(V.self, probs: probs, q: q, k: k, keyPaddingMask: keyPaddingMask,
                                    queries: queries, shape: shape, scratch: scratch)
    }
}

/// Prefetches share `part` of `parts` of the cache lines of `floats` floats at `base` into L2.
@inlinable @inline(__always)
func prefetchShare(_ base: UnsafePointer<Float>, floats: Int, part: Int, parts: Int) {
    let lineFloats = 16
    let lines = (floats + lineFloats - 1) / lineFloats
    let share = (lines + parts - 1) / parts
    for line in stride(from: part * share, to: min(lines, (part + 1) * share), by: 1) {
        attn_shim_prefetch_l2(base + line * lineFloats)
    }
}

/// The online softmax of 16 queries (one register of lanes) over a transposed score tile.
///
/// `scores` (keys rows, `ldScores` apart; 16 columns used) holds raw K·Qᵀ dot products of keys
/// `firstKey...` against queries `firstQuery ..< firstQuery + 16`; it is overwritten with
/// P = 2^(x - max) with x = scale·log2(e)·s + mask, which is e^(scale·s + mask - max·ln 2)
/// (base 2 makes the exponential cheaper, `vectorExp2NonPositive`), 0 where masked (padded key:
/// `keyBias` -inf; causal: key beyond the query's limit, whose score may be uninitialized).
/// `rowMax`/`rowSum` (16) carry the running max of x and the sum of P per query; the first
/// `rows` rows of `output` (16, HS) are rescaled where the max grew.
@_transparent
@usableFromInline func onlineSoftmaxColumns(_ scores: UnsafeMutablePointer<Float>, keys: Int,
                                  ldScores: Int, firstKey: Int, firstQuery: Int,
                                  keyBias: UnsafePointer<Float>, shape: AttentionShape,
                                  rowMax: UnsafeMutablePointer<Float>,
                                  rowSum: UnsafeMutablePointer<Float>,
                                  output: UnsafeMutablePointer<Float>, rows: Int) {
    let scale = SIMD16<Float>(repeating: shape.scale * 1.44269504088896341)  // scale·log2(e)
    // Key j (relative to firstKey) is causally visible to lane t when j <= limit[t].
    let limit = laneIndices + Float(firstQuery + shape.keyOffset - firstKey)
    let masksCausally = shape.causal && firstKey + keys - 1 > firstQuery + shape.keyOffset
    let oldMax = load16(rowMax)
    var newMax = oldMax
    for j in 0..<keys {
        let row = scores + j * ldScores
        var x = SIMD16<Float>(repeating: keyBias[j]).addingProduct(load16(row), scale)
        if masksCausally {
            x = x.replacing(with: -.infinity, where: limit .< Float(j))
        }
        store16(x, row)
        newMax = newMax.replacing(with: x, where: x .> newMax)
    }
    // Lanes with nothing visible yet shift by 0: exp(-inf - 0) = 0 instead of NaN.
    let shift = newMax.replacing(with: 0, where: newMax .== -.infinity)
    var sum = SIMD16<Float>()
    for j in 0..<keys {
        let row = scores + j * ldScores
        let p = vectorExp2NonPositive(load16(row) - shift)
        store16(p, row)
        sum += p
    }
    let correction = vectorExp2NonPositive(oldMax - shift)  // 0 where oldMax is -inf
    store16(load16(rowSum) * correction + sum, rowSum)
    store16(newMax, rowMax)
    // Past the first tiles the max rarely grows: one vector compare skips the 16 lanes.
    guard any(correction .!= 1) else { return }
    for t in 0..<rows where correction[t] != 1 {
        let outRow = output + t * shape.headSize
        for d in 0..<shape.headSize { outRow[d] *= correction[t] }
    }
}

/// probs (Tq,Tk) rows `queries` of one head = exp(scale·Q·Kᵀ + mask - lse), with lse per row in
/// `scratch.rowMax`; recomputes the score tiles like the forward (only when requested).
@inlinable
func attentionProbabilitiesChunk<V: SIMD>(_: V.Type, probs: UnsafeMutablePointer<Float>,
                                          q: UnsafePointer<Float>, k: UnsafePointer<Float>,
                                          keyPaddingMask: UnsafePointer<UInt8>?,
                                          queries: Range<Int>, shape: AttentionShape,
                                          scratch: ForwardScratch) where V.Scalar == Float {
    let (Tk, HS) = (shape.keyLength, shape.headSize)
    let i0 = queries.lowerBound
    let scores = scratch.scores
    (probs + i0 * Tk).initialize(repeating: 0, count: queries.count * Tk)
    let keyEnd = shape.visibleKeyCount(query: queries.upperBound - 1)
    for j0 in stride(from: 0, to: keyEnd, by: attentionKeyTile) {
        let count = min(attentionKeyTile, Tk - j0)
        guard keyTileBias(scratch.keyBias, keyPaddingMask: keyPaddingMask.map { $0 + j0 },
                          count: count) else { continue }
        packTransposedKeyTile(scratch.packedKeys, k + j0 * HS, count: count, headSize: HS)
        for r0 in stride(from: i0, to: queries.upperBound, by: 4) {
            let rows = min(4, queries.upperBound - r0)
            let columns = min(count, shape.visibleKeyCount(query: r0 + rows - 1) - j0)
            if columns <= 0 { continue }
            let width = (columns + 15) / 16 * 16
            // S (4, width) = Q (4, HS) · Kᵀ (HS, width)
            tileMultiplyAdd(V.self, rows: rows, width: width, depth: HS, accumulate: false, c: scores,
                            ldc: attentionKeyTile, a: q + r0 * HS, aRowStride: HS,
                            aDepthStride: 1, b: scratch.packedKeys, ldb: attentionKeyTile)
            for r in 0..<rows {
                let lse = scratch.rowMax[r0 - i0 + r]
                let visible = min(columns, shape.visibleKeyCount(query: r0 + r) - j0)
                if lse == -.infinity || visible <= 0 { continue }
                let row = scores + r * attentionKeyTile
                for c in stride(from: 0, to: width, by: 16) {
                    let x = load16(scratch.keyBias + c)
                        .addingProduct(load16(row + c), SIMD16(repeating: shape.scale))
                    store16(vectorExpNonPositive(x - SIMD16(repeating: lse)), row + c)
                }
                (probs + (r0 + r) * Tk + j0).update(from: row, count: visible)
            }
        }
    }
}
