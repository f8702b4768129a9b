/// Scaled dot-product attention over heads, on the fused attention kernels.
extension Tensor {
    /// softmax(q·kᵀ · scale + mask)·v per batch and head, fused (O(T) extra memory).
    ///
    /// q (B,NH,Tq,HS), k and v (B,NH,Tk,HS) → out (B,NH,Tq,HS). `causal` hides keys after the
    /// query position; `keyPaddingMask` (B·Tk, true = ignore that key) hides padding. With
    /// `returnWeights` the probabilities (B,NH,Tq,Tk) come back too (no gradient flows through
    /// them). Backward recomputes the probabilities from the saved log-sum-exp (B,NH,Tq).
    public static func attention(query q: Tensor, key k: Tensor, value v: Tensor, causal: Bool,
                                 keyPaddingMask: [Bool]? = nil, returnWeights: Bool = false) throws
        -> (output: Tensor, weights: Tensor?) {
        guard q.rank == 4, k.rank == 4, k.shape == v.shape, q.shape[0] == k.shape[0],
              q.shape[1] == k.shape[1], q.shape[3] == k.shape[3] else {
            throw AttentionError.shape(
                "attention: q \(q.shape), k \(k.shape), v \(v.shape) (need q (B,NH,Tq,HS), k and v (B,NH,Tk,HS))")
        }
        let shape = AttentionShape(batch: q.shape[0], heads: q.shape[1], queryLength: q.shape[2],
                                   keyLength: k.shape[2], headSize: q.shape[3], causal: causal)
        try shape.validate()
        let (batch, heads, queryLength, keyLength) = (q.shape[0], q.shape[1], q.shape[2], k.shape[2])
        var mask: MaskStorage?
        if let keyPaddingMask {
            guard keyPaddingMask.count == batch * keyLength else {
                throw AttentionError.shape("attention: key padding mask of \(keyPaddingMask.count) entries for (B,Tk) = (\(batch),\(keyLength))")
            }
            mask = MaskStorage(keyPaddingMask)
        }
        let lse = TensorStorage(uninitializedCount: batch * heads * queryLength)
        var weights: Tensor?
        if returnWeights {
            weights = try Tensor.zeros([batch, heads, queryLength, keyLength])
        }
        let out = build(q.shape, count: q.count) { out in
            attentionForward(out: out, lse: lse.pointer, probs: weights?.storage.pointer,
                             q: q.storage.pointer, k: k.storage.pointer, v: v.storage.pointer,
                             keyPaddingMask: mask.map { UnsafePointer($0.pointer) }, shape: shape)
        }
        let output = record(out, op: "attention", inputs: [q, k, v]) { dout in
            AutogradNode.receiving(q.node, count: q.count) { dq in
                AutogradNode.receiving(k.node, count: k.count) { dk in
                    AutogradNode.receiving(v.node, count: v.count) { dv in
                        attentionBackward(dq: dq, dk: dk, dv: dv, dout: dout, q: q.storage.pointer,
                                          k: k.storage.pointer, v: v.storage.pointer, out: out.storage.pointer,
                                          lse: lse.pointer, keyPaddingMask: mask.map { UnsafePointer($0.pointer) },
                                          shape: shape)
                    }
                }
            }
        }
        return (output, weights)
    }
}

/// A key padding mask (B·Tk bytes, nonzero = ignore) kept alive for a backward pass.
final class MaskStorage {
    let pointer: UnsafeMutablePointer<UInt8>

    init(_ mask: [Bool]) {
        pointer = .allocate(capacity: max(mask.count, 1))
        for (i, ignore) in mask.enumerated() { pointer[i] = ignore ? 1 : 0 }
    }

    deinit { pointer.deallocate() }
}
