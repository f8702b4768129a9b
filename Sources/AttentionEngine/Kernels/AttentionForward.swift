import Foundation

// Fused multi-head scaled dot-product attention, forward (FlashAttention-style).
//
// B batch, NH heads, Tq queries, Tk keys, HS head size; one (b, h) pair is a "head".
// q, out (B,NH,Tq,HS); k, v (B,NH,Tk,HS); lse (B,NH,Tq); probs (B,NH,Tq,Tk);
// keyPaddingMask (B,Tk).
//
// Work item: 256 queries of one head. For each tile of 64 keys it packs Kᵀ once, then for each
// block of 4 queries computes the scores S = Q·Kᵀ (4 × 64) on the SIMD micro-kernel, updates
// the running max and sum of every row (online softmax, rescaling the accumulated output),
// and adds P·V to the output accumulator (64 × HS). Extra memory is per work item, never a
// (Tq × Tk) matrix. Tiles no query of the item may see (causal, or all keys padded) are
// skipped; on the causal diagonal a block only computes the columns its last row sees.

/// Queries per work item of the forward: packing a Kᵀ tile (scalar transposes) is shared by
/// this many queries, which keeps it a few percent of the work.
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
                             keyPaddingMask: UnsafePointer<UInt8>?, shape: AttentionShape) {
    if shape.queryLength == 1 && probs == nil {
        attentionDecode(out: out, lse: lse, q: q, k: k, v: v, keyPaddingMask: keyPaddingMask,
                        shape: shape)
        return
    }
    let (Tq, Tk, HS) = (shape.queryLength, shape.keyLength, shape.headSize)
    let chunksPerHead = (Tq + forwardQueryChunk - 1) / forwardQueryChunk
    let items = shape.headCount * chunksPerHead
    // One item is ~4·256·Tk·HS flops; run small problems on one thread.
    let itemFlops = 4 * forwardQueryChunk * max(Tk, 1) * HS
    let grain = max(1, 1 << 20 / itemFlops)
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
                q: q + head * Tq * HS, k: k + head * Tk * HS, v: v + head * Tk * HS,
                keyPaddingMask: keyPaddingMask.map { $0 + (head / shape.heads) * Tk },
                queries: i0..<i1, shape: shape, scratch: scratch)
        }
    }
}

/// Per-thread buffers of the tiled forward, all small and independent of Tk.
struct ForwardScratch {
    let output: UnsafeMutablePointer<Float>      // (256, HS) unnormalized output rows
    let rowMax: UnsafeMutablePointer<Float>      // (256) running max of the scaled scores
    let rowSum: UnsafeMutablePointer<Float>      // (256) running sum of exp(score - max)
    let scores: UnsafeMutablePointer<Float>      // (4, 64) S, then P, of one query block
    let packedKeys: UnsafeMutablePointer<Float>  // (HS, 64) Kᵀ of one key tile
    let keyBias: UnsafeMutablePointer<Float>     // (64) 0 or -inf per key of the tile

    init(headSize: Int) {
        output = .allocate(capacity: forwardQueryChunk * headSize)
        rowMax = .allocate(capacity: forwardQueryChunk)
        rowSum = .allocate(capacity: forwardQueryChunk)
        scores = .allocate(capacity: 4 * attentionKeyTile)
        packedKeys = .allocate(capacity: headSize * attentionKeyTile)
        keyBias = .allocate(capacity: attentionKeyTile)
    }

    func deallocate() {
        for buffer in [output, rowMax, rowSum, scores, packedKeys, keyBias] { buffer.deallocate() }
    }
}

/// Forward of the queries `queries` of one head. Pointers are offset to the head:
/// out, q (Tq,HS); k, v (Tk,HS); lse (Tq); probs (Tq,Tk); keyPaddingMask (Tk).
@inline(__always)
private func attentionForwardChunk(out: UnsafeMutablePointer<Float>,
                                   lse: UnsafeMutablePointer<Float>?,
                                   probs: UnsafeMutablePointer<Float>?,
                                   q: UnsafePointer<Float>, k: UnsafePointer<Float>,
                                   v: UnsafePointer<Float>, keyPaddingMask: UnsafePointer<UInt8>?,
                                   queries: Range<Int>, shape: AttentionShape,
                                   scratch: ForwardScratch) {
    let (Tk, HS) = (shape.keyLength, shape.headSize)
    let i0 = queries.lowerBound, n = queries.count
    let output = scratch.output, scores = scratch.scores
    output.initialize(repeating: 0, count: n * HS)
    scratch.rowMax.initialize(repeating: -.infinity, count: n)
    scratch.rowSum.initialize(repeating: 0, count: n)

    let keyEnd = shape.visibleKeyCount(query: queries.upperBound - 1)
    for j0 in stride(from: 0, to: keyEnd, by: attentionKeyTile) {
        let count = min(attentionKeyTile, Tk - j0)
        guard keyTileBias(scratch.keyBias, keyPaddingMask: keyPaddingMask.map { $0 + j0 },
                          count: count) else { continue }
        packTransposedKeyTile(scratch.packedKeys, k + j0 * HS, count: count, headSize: HS)
        for r0 in stride(from: i0, to: queries.upperBound, by: 4) {
            let rows = min(4, queries.upperBound - r0)
            // Columns the block's last (most-seeing) row may see in this tile.
            let columns = min(count, shape.visibleKeyCount(query: r0 + rows - 1) - j0)
            if columns <= 0 { continue }
            let width = (columns + 15) / 16 * 16
            // S (4, width) = Q (4, HS) · Kᵀ (HS, width)
            tileMultiplyAdd(rows: rows, width: width, depth: HS, accumulate: false, c: scores, ldc: attentionKeyTile,
                            a: q + r0 * HS, aRowStride: HS, aDepthStride: 1,
                            b: scratch.packedKeys, ldb: attentionKeyTile)
            for r in 0..<rows {
                let row = r0 - i0 + r
                onlineSoftmaxRow(scores + r * attentionKeyTile, width: width,
                                 visible: shape.visibleKeyCount(query: r0 + r) - j0,
                                 keyBias: scratch.keyBias, scale: shape.scale,
                                 rowMax: &scratch.rowMax[row], rowSum: &scratch.rowSum[row],
                                 output: output + row * HS, headSize: HS)
            }
            // O (4, HS) += P (4, columns) · V (columns, HS)
            tileMultiplyAdd(rows: rows, width: HS, depth: columns, c: output + (r0 - i0) * HS,
                            ldc: HS, a: scores, aRowStride: attentionKeyTile, aDepthStride: 1,
                            b: v + j0 * HS, ldb: HS)
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

/// One row of the online softmax over a score tile.
///
/// `scores` (width) holds raw Q·Kᵀ dot products of one query against the tile's keys; it is
/// overwritten with P = exp(scale·s + mask - max), 0 at masked columns (`keyBias` -inf, or
/// column >= `visible`). `rowMax`/`rowSum` carry the running max and sum of the row, and the
/// accumulated `output` row (headSize) is rescaled when the max grows.
@inline(__always)
func onlineSoftmaxRow(_ scores: UnsafeMutablePointer<Float>, width: Int, visible: Int,
                      keyBias: UnsafePointer<Float>, scale: Float,
                      rowMax: inout Float, rowSum: inout Float,
                      output: UnsafeMutablePointer<Float>, headSize: Int) {
    let scaleVector = SIMD16<Float>(repeating: scale)
    var maxVector = SIMD16<Float>(repeating: -.infinity)
    for c in stride(from: 0, to: width, by: 16) {
        var x = loadVector(keyBias + c).addingProduct(loadVector(scores + c), scaleVector)
        if c + 16 > visible {
            x = x.replacing(with: -.infinity, where: laneIndices + Float(c) .>= Float(visible))
        }
        storeVector(x, scores + c)
        maxVector = maxVector.replacing(with: x, where: x .> maxVector)
    }
    let newMax = max(rowMax, horizontalMax(maxVector))
    if newMax == -.infinity {  // nothing visible so far: P = 0, no NaN from -inf - -inf
        scores.initialize(repeating: 0, count: width)
        return
    }
    let shift = SIMD16<Float>(repeating: -newMax)
    var sumVector = SIMD16<Float>()
    for c in stride(from: 0, to: width, by: 16) {
        let p = attentionExp(loadVector(scores + c) + shift)
        storeVector(p, scores + c)
        sumVector += p
    }
    let correction = scalarExp(rowMax - newMax)  // 0 when rowMax is -inf
    rowSum = rowSum * correction + horizontalSum(sumVector)
    if correction != 1 {
        for d in 0..<headSize { output[d] *= correction }
    }
    rowMax = newMax
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
            tileMultiplyAdd(rows: rows, width: width, depth: HS, accumulate: false, c: scores, ldc: attentionKeyTile,
                            a: q + r0 * HS, aRowStride: HS, aDepthStride: 1,
                            b: scratch.packedKeys, ldb: attentionKeyTile)
            for r in 0..<rows {
                let lse = scratch.rowMax[r0 - i0 + r]
                let visible = min(columns, shape.visibleKeyCount(query: r0 + r) - j0)
                if lse == -.infinity || visible <= 0 { continue }
                let row = scores + r * attentionKeyTile
                let probsRow = probs + (r0 + r) * Tk + j0
                for j in 0..<visible {
                    probsRow[j] = scalarExp(scratch.keyBias[j] + row[j] * shape.scale - lse)
                }
            }
        }
    }
}
