import Foundation

// Attention for a single query per head (Tq == 1): one generation step against a KV cache.
//
// B batch, NH heads, Tk cached keys, HS head size.
// q, out (B,NH,1,HS); k, v (B,NH,Tk,HS); lse (B,NH,1); keyPaddingMask (B,Tk).
//
// A step reads all of K and V once, so it is memory-bound and there is little work per head:
// the keys of every head are split into fixed segments of `decodeSegment` keys, the segments
// of all heads run in parallel, each producing a partial (max, sum, unnormalized output), and
// the partials of a head are merged in segment order. The segmentation depends only on Tk, so
// the result is the same for any thread count, and even B·NH = 1 uses every thread.
// With Tq == 1 the causal mask (aligned to the end) hides nothing.

/// Decode step: out (B,NH,1,HS) = softmax(scale · q·Kᵀ + mask) · V, lse (B,NH,1) optional.
/// Called by `attentionForward` when Tq == 1; same contract (k, v (B,NH,keyCapacity,HS)).
func attentionDecode(out: UnsafeMutablePointer<Float>, lse: UnsafeMutablePointer<Float>?,
                     q: UnsafePointer<Float>, k: UnsafePointer<Float>, v: UnsafePointer<Float>,
                     keyPaddingMask: UnsafePointer<UInt8>?, shape: AttentionShape,
                     keyCapacity: Int? = nil, isa: KernelISA = .active) {
    let (Tk, HS) = (shape.keyLength, shape.headSize)
    let keyHeadStride = (keyCapacity ?? Tk) * HS  // elements between the heads of k and v
    let segments = max(1, (Tk + decodeSegment - 1) / decodeSegment)
    let items = shape.headCount * segments
    // Partial results per (head, segment): max, sum, and the unnormalized output (HS).
    let partialStride = HS + 2
    let partials = UnsafeMutablePointer<Float>.allocate(capacity: items * partialStride)
    defer { partials.deallocate() }
    // A segment is ~4·keys·HS flops. A parallel region costs ~1 µs on a quiet machine and far
    // more when another process holds a core, so a step of a small model (e.g. 4 heads × 256
    // keys × HS 64, ~3 µs of work) runs on one thread: chunks of at least 1 M flops.
    let grain = Parallel.grain(itemWork: 4 * Double(min(max(Tk, 1), decodeSegment)) * Double(HS),
                               targetWork: Double(1 << 20))
    let kernels = isa.kernels
    Parallel.forEachChunk(items, grain: grain) { range in
        let scores = UnsafeMutablePointer<Float>.allocate(capacity: decodeSegment)
        defer { scores.deallocate() }
        for item in range {
            let head = item / segments
            let j0 = (item % segments) * decodeSegment
            let partial = partials + item * partialStride
            kernels.decodeSegmentPartial(
                max: &partial[0], sum: &partial[1], output: partial + 2,
                q: q + head * HS, k: k + head * keyHeadStride + j0 * HS,
                v: v + head * keyHeadStride + j0 * HS,
                keyPaddingMask: keyPaddingMask.map { $0 + (head / shape.heads) * Tk + j0 },
                count: min(decodeSegment, Tk - j0), headSize: HS, scale: shape.scale,
                scores: scores)
        }
    }
    // Merge the segments of each head in order: M = max m_s, L = Σ l_s·e^(m_s - M),
    // out = Σ o_s·e^(m_s - M) / L, lse = M + log L.
    for head in 0..<shape.headCount {
        let first = partials + head * segments * partialStride
        var headMax = -Float.infinity
        for s in 0..<segments {
            let segmentMax = first[s * partialStride]
            // A NaN segment (NaN scores) makes the head's result NaN rather than being skipped.
            headMax = segmentMax.isNaN || headMax.isNaN ? .nan : max(headMax, segmentMax)
        }
        let outRow = out + head * HS
        outRow.initialize(repeating: 0, count: HS)
        if headMax == -.infinity {
            lse?[head] = -.infinity
            continue
        }
        var sum: Float = 0
        for s in 0..<segments {
            let partial = first + s * partialStride
            let weight = scalarExp(partial[0] - headMax)
            sum = sum.addingProduct(partial[1], weight)
            for d in 0..<HS { outRow[d] = outRow[d].addingProduct(partial[2 + d], weight) }
        }
        let inverse = 1 / sum
        for d in 0..<HS { outRow[d] *= inverse }
        lse?[head] = headMax + log(sum)
    }
}

