import Foundation

// Fused multi-head scaled dot-product attention, forward (FlashAttention-style).
//
// B batch, NH heads, Tq queries, Tk keys, HS head size; one (b, h) pair is a "head".
// q, out (B,NH,Tq,HS); k, v (B,NH,Tk,HS); lse (B,NH,Tq); probs (B,NH,Tq,Tk);
// keyPaddingMask (B,Tk).
//
// Work item: 256 queries of one head, with Qᵀ packed once. For each tile of 64 keys and block
// of 64 queries it computes the transposed scores Sᵀ = K·Qᵀ (64 × 64) on the SIMD micro-kernel,
// updates the running max and sum of every query (online softmax, rescaling the accumulated
// output), and adds P·V to the output accumulator (256 × HS). Extra memory is per work item,
// never a (Tq × Tk) matrix. Tiles no query of the item may see (causal, or all keys padded)
// are skipped; on the causal diagonal only the 4-key × 16-query pieces that some query sees
// are computed.

/// Queries per work item of the forward: Qᵀ is packed (scalar transposes) once per item and
/// reused against every key tile, which keeps packing a few percent of the work.
let forwardQueryChunk = 256

/// Fused attention forward: out = softmax(scale · Q·Kᵀ + mask) · V.
///
/// - out (B,NH,Tq,HS): overwritten. A row with no visible key (all keys padded) is 0.
/// - lse (B,NH,Tq), optional: log-sum-exp of each row's scaled, masked scores, which
///   `attentionBackward` needs; -inf for a row with no visible key.
/// - probs (B,NH,Tq,Tk), optional: the attention probabilities (0 where masked), computed only
///   when this pointer is given, for visualisation.
/// - q (B,NH,Tq,HS), k and v (B,NH,Tk,HS).
/// - keyPaddingMask (B,Tk), optional: nonzero marks a key no query attends to (PyTorch's
///   convention).
/// - shape: must pass `shape.validate()`.
/// - keyCapacity, optional (>= Tk): k and v are (B,NH,keyCapacity,HS), of which rows 0..<Tk
///   of each head are read, as in a KV cache preallocated for keyCapacity tokens; Tk by default.
///
/// A single query (Tq == 1) without `probs` runs on the decode path (`attentionDecode`), split
/// over the keys. Results are bitwise identical for any thread count.
///
///     let shape = AttentionShape(batch: 1, heads: 8, queryLength: 256, keyLength: 256,
///                                headSize: 64, causal: true)
///     attentionForward(out: out, lse: lse, probs: nil, q: q, k: k, v: v,
///                      keyPaddingMask: nil, shape: shape)
public func attentionForward(out: UnsafeMutablePointer<Float>, lse: UnsafeMutablePointer<Float>?,
                             probs: UnsafeMutablePointer<Float>?, q: UnsafePointer<Float>,
                             k: UnsafePointer<Float>, v: UnsafePointer<Float>,
                             keyPaddingMask: UnsafePointer<UInt8>?, shape: AttentionShape,
                             keyCapacity: Int? = nil) {
    if shape.headCount == 0 || shape.queryLength == 0 { return }
    if shape.queryLength == 1 && probs == nil {
        attentionDecode(out: out, lse: lse, q: q, k: k, v: v, keyPaddingMask: keyPaddingMask,
                        shape: shape, keyCapacity: keyCapacity)
        return
    }
    let (Tq, Tk, HS) = (shape.queryLength, shape.keyLength, shape.headSize)
    let keyHeadStride = (keyCapacity ?? Tk) * HS  // elements between the heads of k and v
    let chunksPerHead = (Tq + forwardQueryChunk - 1) / forwardQueryChunk
    let items = shape.headCount * chunksPerHead
    // One item is ~4·256·Tk·HS flops; run small problems on one thread.
    let grain = Parallel.grain(itemWork: 4 * Double(forwardQueryChunk) * Double(max(Tk, 1)) * Double(HS),
                               targetWork: Double(1 << 20))
    Parallel.forEachChunk(items, grain: grain) { range in
        let scratch = ForwardScratch(headSize: HS)
        defer { scratch.deallocate() }
        for item in range {
            let head = item / chunksPerHead
            // Pair cheap and expensive causal chunks (0, n-1, 1, n-2, ...) so that contiguous
            // ranges of items carry similar work; the order does not change any result.
            let position = item % chunksPerHead
            let chunk = position % 2 == 0 ? position / 2 : chunksPerHead - 1 - position / 2
            let i0 = chunk * forwardQueryChunk
            let i1 = min(Tq, i0 + forwardQueryChunk)
            attentionForwardChunk(
                out: out + head * Tq * HS, lse: lse.map { $0 + head * Tq },
                probs: probs.map { $0 + head * Tq * Tk },
                q: q + head * Tq * HS, k: k + head * keyHeadStride, v: v + head * keyHeadStride,
                keyPaddingMask: keyPaddingMask.map { $0 + (head / shape.heads) * Tk },
                queries: i0..<i1, shape: shape, scratch: scratch)
        }
    }
}

/// Per-thread buffers of the tiled forward, all small and independent of Tk.
struct ForwardScratch {
    let packedQueries: UnsafeMutablePointer<Float> // (HS, 256) Qᵀ of the chunk, 0-padded
    let output: UnsafeMutablePointer<Float>        // (256, HS) unnormalized output rows
    let rowMax: UnsafeMutablePointer<Float>        // (256) running max of the scaled scores
    let rowSum: UnsafeMutablePointer<Float>        // (256) running sum of exp(score - max)
    let scores: UnsafeMutablePointer<Float>        // (64 keys, 64 queries) Sᵀ, then Pᵀ
    let packedKeys: UnsafeMutablePointer<Float>    // (HS, 64) Kᵀ of one tile (probabilities)
    let keyBias: UnsafeMutablePointer<Float>       // (64) 0 or -inf per key of the tile

    init(headSize: Int) {
        packedQueries = .allocate(capacity: headSize * forwardQueryChunk)
        output = .allocate(capacity: forwardQueryChunk * headSize)
        rowMax = .allocate(capacity: forwardQueryChunk)
        rowSum = .allocate(capacity: forwardQueryChunk)
        scores = .allocate(capacity: attentionKeyTile * forwardQueryBlock)
        packedKeys = .allocate(capacity: headSize * attentionKeyTile)
        keyBias = .allocate(capacity: attentionKeyTile)
    }

    func deallocate() {
        for buffer in [packedQueries, output, rowMax, rowSum, scores, packedKeys, keyBias] {
            buffer.deallocate()
        }
    }
}

/// Queries per block: a score tile is 64 keys × 64 queries.
let forwardQueryBlock = 64

/// Forward of the queries `queries` of one head. Pointers are offset to the head:
/// out, q (Tq,HS); k, v (Tk,HS); lse (Tq); probs (Tq,Tk); keyPaddingMask (Tk).
///
/// Scores are computed transposed, Sᵀ (keys × queries) = K·Qᵀ, so that Qᵀ is packed once per
/// chunk (K rows are read in place as the broadcast operand) and the softmax runs down the key
/// axis with 16 queries per register: running max, sum and rescaling are lane-wise, with no
/// horizontal reductions. Pᵀ then feeds O += P·V by reading it with swapped strides.
private func attentionForwardChunk(out: UnsafeMutablePointer<Float>,
                                   lse: UnsafeMutablePointer<Float>?,
                                   probs: UnsafeMutablePointer<Float>?,
                                   q: UnsafePointer<Float>, k: UnsafePointer<Float>,
                                   v: UnsafePointer<Float>, keyPaddingMask: UnsafePointer<UInt8>?,
                                   queries: Range<Int>, shape: AttentionShape,
                                   scratch: ForwardScratch) {
    let (Tk, HS) = (shape.keyLength, shape.headSize)
    let i0 = queries.lowerBound, n = queries.count
    let chunk = forwardQueryChunk, block = forwardQueryBlock, tile = attentionKeyTile
    let output = scratch.output, scores = scratch.scores
    output.initialize(repeating: 0, count: n * HS)
    scratch.rowMax.initialize(repeating: -.infinity, count: chunk)
    scratch.rowSum.initialize(repeating: 0, count: chunk)
    // Qᵀ (HS, 256); query columns past n are 0 (their lanes are computed, never stored).
    for d in 0..<HS {
        let row = scratch.packedQueries + d * chunk
        for i in 0..<n { row[i] = q[(i0 + i) * HS + d] }
        for i in n..<chunk { row[i] = 0 }
    }

    let keyEnd = shape.visibleKeyCount(query: queries.upperBound - 1)
    for j0 in stride(from: 0, to: keyEnd, by: tile) {
        let count = min(tile, Tk - j0)
        guard keyTileBias(scratch.keyBias, keyPaddingMask: keyPaddingMask.map { $0 + j0 },
                          count: count) else { continue }
        for b0 in stride(from: i0, to: queries.upperBound, by: block) {
            let blockQueries = min(block, queries.upperBound - b0)
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
                tileMultiplyAdd(rows: min(4, keys - jr), width: width - start, depth: HS,
                                accumulate: false, c: scores + jr * block + start, ldc: block,
                                a: k + (j0 + jr) * HS, aRowStride: HS, aDepthStride: 1,
                                b: scratch.packedQueries + (b0 - i0) + start, ldb: chunk)
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
                tileMultiplyAdd(rows: rows, width: HS, depth: depth,
                                c: output + (b0 - i0 + r) * HS, ldc: HS,
                                a: scores + r, aRowStride: 1, aDepthStride: block,
                                b: v + j0 * HS, ldb: HS)
            }
        }
    }

    // out = O / sum; lse = max + log(sum). Kept in rowMax for the probabilities.
    for row in 0..<n {
        let sum = scratch.rowSum[row]
        let outRow = out + (i0 + row) * HS
        if sum == 0 {
            outRow.initialize(repeating: 0, count: HS)
            scratch.rowMax[row] = -.infinity
        } else {
            let inverse = 1 / sum
            for d in 0..<HS { outRow[d] = output[row * HS + d] * inverse }
            scratch.rowMax[row] += log(sum)
        }
    }
    lse?.advanced(by: i0).update(from: scratch.rowMax, count: n)
    if let probs {
        attentionProbabilitiesChunk(probs: probs, q: q, k: k, keyPaddingMask: keyPaddingMask,
                                    queries: queries, shape: shape, scratch: scratch)
    }
}

/// The online softmax of 16 queries (one register of lanes) over a transposed score tile.
///
/// `scores` (keys rows, `ldScores` apart; 16 columns used) holds raw K·Qᵀ dot products of keys
/// `firstKey...` against queries `firstQuery ..< firstQuery + 16`; it is overwritten with
/// P = exp(scale·s + mask - max), 0 where masked (padded key: `keyBias` -inf; causal: key
/// beyond the query's limit, whose score may be uninitialized). `rowMax`/`rowSum` (16) carry
/// the running max and sum per query; the first `rows` rows of `output` (16, HS) are rescaled
/// where the max grew.
@inline(__always)
private func onlineSoftmaxColumns(_ scores: UnsafeMutablePointer<Float>, keys: Int,
                                  ldScores: Int, firstKey: Int, firstQuery: Int,
                                  keyBias: UnsafePointer<Float>, shape: AttentionShape,
                                  rowMax: UnsafeMutablePointer<Float>,
                                  rowSum: UnsafeMutablePointer<Float>,
                                  output: UnsafeMutablePointer<Float>, rows: Int) {
    let scale = SIMD16<Float>(repeating: shape.scale)
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
        let p = vectorExpNonPositive(load16(row) - shift)
        store16(p, row)
        sum += p
    }
    let correction = vectorExpNonPositive(oldMax - shift)  // 0 where oldMax is -inf
    store16(load16(rowSum) * correction + sum, rowSum)
    store16(newMax, rowMax)
    for t in 0..<rows where correction[t] != 1 {
        let outRow = output + t * shape.headSize
        for d in 0..<shape.headSize { outRow[d] *= correction[t] }
    }
}

/// probs (Tq,Tk) rows `queries` of one head = exp(scale·Q·Kᵀ + mask - lse), with lse per row in
/// `scratch.rowMax`; recomputes the score tiles like the forward (only when requested).
private func attentionProbabilitiesChunk(probs: UnsafeMutablePointer<Float>,
                                         q: UnsafePointer<Float>, k: UnsafePointer<Float>,
                                         keyPaddingMask: UnsafePointer<UInt8>?,
                                         queries: Range<Int>, shape: AttentionShape,
                                         scratch: ForwardScratch) {
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
            tileMultiplyAdd(rows: rows, width: width, depth: HS, accumulate: false, c: scores,
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
