import Foundation

// Fused multi-head scaled dot-product attention, forward (FlashAttention-style).
//
// B batch, NH heads, Tq queries, Tk keys, HS head size; one (b, h) pair is a "head".
// q, out (B,NH,Tq,HS); k, v (B,NH,Tk,HS); lse (B,NH,Tq); probs (B,NH,Tq,Tk);
// keyPaddingMask (B,Tk).
//
// Work item: 256 queries of one head (288 on AVX2, `forwardQueryChunk`), with Qᵀ packed once.
// For each tile of 64 keys and block of 64 queries (48 on AVX2) it computes the transposed
// scores Sᵀ = K·Qᵀ (64 × block) on the SIMD micro-kernel, updates the running max and sum of
// every query (online softmax in base 2, rescaling the accumulated output), and adds P·V to
// the output accumulator (chunk × HS). Extra memory is per work item, never a (Tq × Tk)
// matrix. Tiles no query of the item may see (causal, or all keys padded) are skipped; on the
// causal diagonal only the 4-key × 16-query pieces that some query sees are computed. The work item (AttentionForwardChunk.swift) runs in the kernel set of `isa`
// (KernelISA: AVX-512 or AVX2 tiles); this file splits the work and runs it in parallel.

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
/// - isa: the kernels to run (one of `KernelISA.available`); every ISA gives the same bits.
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
                             keyCapacity: Int? = nil, isa: KernelISA = .active) {
    if shape.headCount == 0 || shape.queryLength == 0 { return }
    if shape.queryLength == 1 && probs == nil {
        attentionDecode(out: out, lse: lse, q: q, k: k, v: v, keyPaddingMask: keyPaddingMask,
                        shape: shape, keyCapacity: keyCapacity, isa: isa)
        return
    }
    let (Tq, Tk, HS) = (shape.queryLength, shape.keyLength, shape.headSize)
    let keyHeadStride = (keyCapacity ?? Tk) * HS  // elements between the heads of k and v
    let kernels = isa.kernels
    let chunkQueries = forwardQueryChunk(vectorWidth: kernels.vectorWidth)
    let chunksPerHead = (Tq + chunkQueries - 1) / chunkQueries
    let items = shape.headCount * chunksPerHead
    // One item is ~4·chunk·Tk·HS flops; run small problems on one thread.
    let grain = Parallel.grain(itemWork: 4 * Double(chunkQueries) * Double(max(Tk, 1)) * Double(HS),
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
            let i0 = chunk * chunkQueries
            let i1 = min(Tq, i0 + chunkQueries)
            kernels.attentionForwardChunk(
                out: out + head * Tq * HS, lse: lse.map { $0 + head * Tq },
                probs: probs.map { $0 + head * Tq * Tk },
                q: q + head * Tq * HS, k: k + head * keyHeadStride, v: v + head * keyHeadStride,
                keyPaddingMask: keyPaddingMask.map { $0 + (head / shape.heads) * Tk },
                queries: i0..<i1, shape: shape, scratch: scratch)
        }
    }
}

