// The work item of the fused attention backward (AttentionBackward.swift in AttentionEngine
// explains the method and runs the heads in parallel): one head, generic over the vector type of
// the tile products and specialised per ISA.

/// Queries per block of the backward (P and dS of a block × key tile stay in L1/L2).
@usableFromInline package let backwardQueryBlock = 64

/// Per-thread buffers of the backward.
@usableFromInline package struct BackwardScratch {
    @usableFromInline package let rowDelta: UnsafeMutablePointer<Float>     // (Tq) D_i = dO_i·O_i
    @usableFromInline package let rowShift: UnsafeMutablePointer<Float>     // (Tq) -lse_i, or -inf for an empty row
    @usableFromInline package let packedKeys: UnsafeMutablePointer<Float>   // (HS, 64) Kᵀ of one key tile
    @usableFromInline package let packedValues: UnsafeMutablePointer<Float> // (HS, 64) Vᵀ of one key tile
    @usableFromInline package let keyBias: UnsafeMutablePointer<Float>      // (64) 0 or -inf per key of the tile
    @usableFromInline package let probabilities: UnsafeMutablePointer<Float> // (64, 64) P of a query block × key tile
    @usableFromInline package let scoreGradients: UnsafeMutablePointer<Float> // (64, 64) dP, then scale·dS
    @usableFromInline package let queryBlock: UnsafeMutablePointer<Float>   // (64, HS) Q rows of a query block
    @usableFromInline package let doutBlock: UnsafeMutablePointer<Float>    // (64, HS) dO rows of a query block

    package init(queryLength: Int, headSize: Int) {
        rowDelta = .allocate(capacity: max(queryLength, 1))
        rowShift = .allocate(capacity: max(queryLength, 1))
        packedKeys = .allocate(capacity: headSize * attentionKeyTile)
        packedValues = .allocate(capacity: headSize * attentionKeyTile)
        keyBias = .allocate(capacity: attentionKeyTile)
        probabilities = .allocate(capacity: backwardQueryBlock * attentionKeyTile)
        scoreGradients = .allocate(capacity: backwardQueryBlock * attentionKeyTile)
        queryBlock = .allocate(capacity: backwardQueryBlock * headSize)
        doutBlock = .allocate(capacity: backwardQueryBlock * headSize)
    }

    package func deallocate() {
        for buffer in [rowDelta, rowShift, packedKeys, packedValues, keyBias, probabilities,
                       scoreGradients, queryBlock, doutBlock] {
            buffer.deallocate()
        }
    }
}

/// Backward of one head; pointers are offset to the head: q, out, dout, dq (Tq,HS); k, v, dk,
/// dv (Tk,HS); lse (Tq); keyPaddingMask (Tk). V is the vector type of the tile products.
@inlinable
package func attentionBackwardHead<V: SIMD>(_: V.Type, dq: UnsafeMutablePointer<Float>,
                                            dk: UnsafeMutablePointer<Float>,
                                            dv: UnsafeMutablePointer<Float>,
                                            dout: UnsafePointer<Float>,
                                            q: UnsafePointer<Float>, k: UnsafePointer<Float>,
                                            v: UnsafePointer<Float>, out: UnsafePointer<Float>,
                                            lse: UnsafePointer<Float>,
                                            keyPaddingMask: UnsafePointer<UInt8>?,
                                            shape: AttentionShape, scratch: BackwardScratch)
where V.Scalar == Float {
    let (Tq, Tk, HS) = (shape.queryLength, shape.keyLength, shape.headSize)
    let tile = attentionKeyTile
    let p = scratch.probabilities, ds = scratch.scoreGradients
    dq.initialize(repeating: 0, count: Tq * HS)
    dk.initialize(repeating: 0, count: Tk * HS)
    dv.initialize(repeating: 0, count: Tk * HS)
    for i in 0..<Tq {
        scratch.rowDelta[i] = dot(dout + i * HS, out + i * HS, count: HS)
        scratch.rowShift[i] = lse[i] == -.infinity ? -.infinity : -lse[i]
    }

    for j0 in stride(from: 0, to: Tk, by: tile) {
        let count = min(tile, Tk - j0)
        guard keyTileBias(scratch.keyBias, keyPaddingMask: keyPaddingMask.map { $0 + j0 },
                          count: count) else { continue }
        packTransposedKeyTile(scratch.packedKeys, k + j0 * HS, count: count, headSize: HS)
        packTransposedKeyTile(scratch.packedValues, v + j0 * HS, count: count, headSize: HS)
        // The first query that sees key j0.
        let firstQuery = shape.causal ? max(0, j0 - shape.keyOffset) : 0
        for b0 in stride(from: firstQuery, to: Tq, by: backwardQueryBlock) {
            let n = min(backwardQueryBlock, Tq - b0)
            // The block's Q and dO rows (16 KB each at HS 64), read by four products, copied up
            // front: past T ≈ 1024 a head's Q, dO and dQ no longer fit in L2 and are fetched
            // again for every key tile; a straight copy has many L3 misses in flight, where the
            // products would wait for them a few rows at a time.
            let qBlock = scratch.queryBlock, doutBlock = scratch.doutBlock
            qBlock.update(from: q + b0 * HS, count: n * HS)
            doutBlock.update(from: dout + b0 * HS, count: n * HS)
            for r0 in stride(from: b0, to: b0 + n, by: 4) {
                let rows = min(4, b0 + n - r0)
                let pRows = p + (r0 - b0) * tile, dsRows = ds + (r0 - b0) * tile
                // S (4, 64) = Q·Kᵀ and dP (4, 64) = dO·Vᵀ
                tileMultiplyAdd(V.self, rows: rows, width: tile, depth: HS, accumulate: false, c: pRows, ldc: tile,
                                a: qBlock + (r0 - b0) * HS, aRowStride: HS, aDepthStride: 1,
                                b: scratch.packedKeys, ldb: tile)
                tileMultiplyAdd(V.self, rows: rows, width: tile, depth: HS, accumulate: false, c: dsRows, ldc: tile,
                                a: doutBlock + (r0 - b0) * HS, aRowStride: HS, aDepthStride: 1,
                                b: scratch.packedValues, ldb: tile)
                for r in 0..<rows {
                    scoreGradientRow(p: pRows + r * tile, ds: dsRows + r * tile,
                                     visible: shape.visibleKeyCount(query: r0 + r) - j0,
                                     keyBias: scratch.keyBias, scale: shape.scale,
                                     shift: scratch.rowShift[r0 + r],
                                     delta: scratch.rowDelta[r0 + r])
                }
            }
            // dV (count, HS) += Pᵀ·dO and dK (count, HS) += dSᵀ·Q over the block's n queries.
            for jr in stride(from: 0, to: count, by: 4) {
                let rows = min(4, count - jr)
                tileMultiplyAdd(V.self, rows: rows, width: HS, depth: n, c: dv + (j0 + jr) * HS, ldc: HS,
                                a: p + jr, aRowStride: 1, aDepthStride: tile,
                                b: doutBlock, ldb: HS)
                tileMultiplyAdd(V.self, rows: rows, width: HS, depth: n, c: dk + (j0 + jr) * HS, ldc: HS,
                                a: ds + jr, aRowStride: 1, aDepthStride: tile,
                                b: qBlock, ldb: HS)
            }
            // dQ (n, HS) += dS (n, count) · K (count, HS)
            for r0 in stride(from: b0, to: b0 + n, by: 4) {
                tileMultiplyAdd(V.self, rows: min(4, b0 + n - r0), width: HS, depth: count,
                                c: dq + r0 * HS, ldc: HS, a: ds + (r0 - b0) * tile,
                                aRowStride: tile, aDepthStride: 1, b: k + j0 * HS, ldb: HS)
            }
        }
    }
}

/// One row of a backward tile: `p` (64) holds raw Q·Kᵀ dot products and becomes
/// P = exp(scale·s + mask - lse) (`shift` = -lse, -inf for an empty row); `ds` (64) holds dP and
/// becomes scale·P ⊙ (dP - delta). Columns >= `visible` or with `keyBias` -inf are masked.
@_transparent
@usableFromInline func scoreGradientRow(p: UnsafeMutablePointer<Float>, ds: UnsafeMutablePointer<Float>,
                              visible: Int, keyBias: UnsafePointer<Float>, scale: Float,
                              shift: Float, delta: Float) {
    let scaleVector = SIMD16<Float>(repeating: scale)
    let shiftVector = SIMD16<Float>(repeating: shift)
    let deltaVector = SIMD16<Float>(repeating: delta)
    for c in stride(from: 0, to: attentionKeyTile, by: 16) {
        var x = load16(keyBias + c).addingProduct(load16(p + c), scaleVector)
        if c + 16 > visible {
            x = x.replacing(with: -.infinity, where: laneIndices + Float(c) .>= Float(visible))
        }
        let probability = vectorExp(x + shiftVector)
        store16(probability, p + c)
        store16(probability * (load16(ds + c) - deltaVector) * scaleVector, ds + c)
    }
}
