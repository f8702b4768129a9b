// Fused multi-head scaled dot-product attention, backward (FlashAttention-2 style).
//
// B batch, NH heads, Tq queries, Tk keys, HS head size; one (b, h) pair is a "head".
// q, out, dout, dq (B,NH,Tq,HS); k, v, dk, dv (B,NH,Tk,HS); lse (B,NH,Tq); keyPaddingMask (B,Tk).
//
// With S = scale·Q·Kᵀ + mask and P = exp(S - lse) recomputed tile by tile from the saved lse:
//   dV = Pᵀ·dO,  dP = dO·Vᵀ,  dS = P ⊙ (dP - D) with D_i = dO_i·O_i,
//   dQ = scale·dS·K,  dK = scale·dSᵀ·Q.
// The outer loop runs over tiles of 64 keys (Kᵀ and Vᵀ packed once), the inner loop over
// blocks of 64 queries that may see them (causal starts at the diagonal): P and dS of the
// block (64 × 64) come from the micro-kernel, then dV, dK of the tile and dQ of the block are
// accumulated on it. Each head runs on one thread in this fixed order, so dQ's sum over key
// tiles needs no atomics and the result is bitwise identical for any thread count; heads run
// in parallel. The head's work (AttentionBackwardHead.swift) runs in the kernel set of `isa`.

/// Fused attention backward from the forward's saved log-sum-exp.
///
/// - dq (B,NH,Tq,HS), dk and dv (B,NH,Tk,HS): overwritten.
/// - dout (B,NH,Tq,HS): gradient of the loss with respect to `out`.
/// - q, k, v, keyPaddingMask, shape: as given to `attentionForward`; out and lse as it produced
///   them (lse (B,NH,Tq) is required). Rows with lse = -inf (no visible key) get zero gradients.
/// - isa: the kernels to run (one of `KernelISA.available`); every ISA gives the same bits.
public func attentionBackward(dq: UnsafeMutablePointer<Float>, dk: UnsafeMutablePointer<Float>,
                              dv: UnsafeMutablePointer<Float>, dout: UnsafePointer<Float>,
                              q: UnsafePointer<Float>, k: UnsafePointer<Float>,
                              v: UnsafePointer<Float>, out: UnsafePointer<Float>,
                              lse: UnsafePointer<Float>, keyPaddingMask: UnsafePointer<UInt8>?,
                              shape: AttentionShape, isa: KernelISA = .active) {
    let (Tq, Tk, HS) = (shape.queryLength, shape.keyLength, shape.headSize)
    let headFlops = 10 * Double(max(Tq, 1)) * Double(max(Tk, 1)) * Double(HS)
    let grain = Parallel.grain(itemWork: headFlops, targetWork: Double(1 << 20))
    let kernels = isa.kernels
    Parallel.forEachChunk(shape.headCount, grain: grain) { range in
        let scratch = BackwardScratch(queryLength: Tq, headSize: HS)
        defer { scratch.deallocate() }
        for head in range {
            kernels.attentionBackwardHead(
                dq: dq + head * Tq * HS, dk: dk + head * Tk * HS, dv: dv + head * Tk * HS,
                dout: dout + head * Tq * HS, q: q + head * Tq * HS, k: k + head * Tk * HS,
                v: v + head * Tk * HS, out: out + head * Tq * HS, lse: lse + head * Tq,
                keyPaddingMask: keyPaddingMask.map { $0 + (head / shape.heads) * Tk },
                shape: shape, scratch: scratch)
        }
    }
}

