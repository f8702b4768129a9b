import AttentionEngine

// Fused attention at the target shapes: NH = 8, HS = 64, causal self-attention with
// B ∈ {1, 8} and T ∈ {256, 1024, 2048}, the forward at HS 32, 80 and 128 (B1 T1024), and
// one decode step against a cache of 1024 keys.
// FLOPs count the two products Q·Kᵀ and P·V, 4·B·NH·Tq·Tk·HS, halved for causal; the backward
// adds five such products (S recomputed, dP, dV, dK, dQ), so forward+backward counts 3.5×
// the forward, as in the FlashAttention papers.

/// The "attention" suite: kinds attention_forward, attention_forward_backward, attention_decode
/// (references in Benchmarks/references/<kind>.py).
func attentionBenchmarks(quick: Bool) -> [BenchmarkCase] {
    var cases: [BenchmarkCase] = []
    let heads = 8, headSize = 64
    for batch in quick ? [1] : [1, 8] {
        for length in quick ? [256] : [256, 1024, 2048] {
            let shape = AttentionShape(batch: batch, heads: heads, queryLength: length,
                                       keyLength: length, headSize: headSize, causal: true)
            let parameters = ["batch": batch, "heads": heads, "q_len": length, "kv_len": length,
                              "head_size": headSize, "causal": 1]
            let forwardFlops = 4 * Double(shape.headCount * length * length * headSize) / 2
            // q, out, dout, dq (B,NH,T,HS); k, v, dk, dv (B,NH,T,HS); lse (B,NH,T)
            let q = benchmarkBuffer(shape.queryCount, seed: 1)
            let k = benchmarkBuffer(shape.keyCount, seed: 2)
            let v = benchmarkBuffer(shape.keyCount, seed: 3)
            let dout = benchmarkBuffer(shape.queryCount, seed: 4)
            let out = benchmarkBuffer(shape.queryCount)
            let lse = benchmarkBuffer(shape.headCount * length)
            let dq = benchmarkBuffer(shape.queryCount)
            let dk = benchmarkBuffer(shape.keyCount)
            let dv = benchmarkBuffer(shape.keyCount)
            cases.append(BenchmarkCase(
                name: "attention_forward B\(batch) T\(length) causal", kind: "attention_forward",
                parameters: parameters, flops: forwardFlops) {
                    attentionForward(out: out, lse: lse, probs: nil, q: q, k: k, v: v,
                                     keyPaddingMask: nil, shape: shape)
                })
            cases.append(BenchmarkCase(
                name: "attention_fwd_bwd B\(batch) T\(length) causal",
                kind: "attention_forward_backward", parameters: parameters,
                flops: 3.5 * forwardFlops) {
                    attentionForward(out: out, lse: lse, probs: nil, q: q, k: k, v: v,
                                     keyPaddingMask: nil, shape: shape)
                    attentionBackward(dq: dq, dk: dk, dv: dv, dout: dout, q: q, k: k, v: v,
                                      out: out, lse: lse, keyPaddingMask: nil, shape: shape)
                })
        }
    }
    // The other head sizes the tiles are shaped for (HS 64 is above), forward at B1 T1024.
    for headSize in quick ? [] : [32, 80, 128] {
        let length = 1024
        let shape = AttentionShape(batch: 1, heads: heads, queryLength: length, keyLength: length,
                                   headSize: headSize, causal: true)
        // q, out (B,NH,T,HS); k, v (B,NH,T,HS); lse (B,NH,T)
        let q = benchmarkBuffer(shape.queryCount, seed: 1)
        let k = benchmarkBuffer(shape.keyCount, seed: 2)
        let v = benchmarkBuffer(shape.keyCount, seed: 3)
        let out = benchmarkBuffer(shape.queryCount)
        let lse = benchmarkBuffer(shape.headCount * length)
        cases.append(BenchmarkCase(
            name: "attention_forward B1 T\(length) HS\(headSize) causal", kind: "attention_forward",
            parameters: ["batch": 1, "heads": heads, "q_len": length, "kv_len": length,
                         "head_size": headSize, "causal": 1],
            flops: 4 * Double(shape.headCount * length * length * headSize) / 2) {
                attentionForward(out: out, lse: lse, probs: nil, q: q, k: k, v: v,
                                 keyPaddingMask: nil, shape: shape)
            })
    }
    for batch in quick ? [1] : [1, 8] {
        let keys = 1024
        let shape = AttentionShape(batch: batch, heads: heads, queryLength: 1, keyLength: keys,
                                   headSize: headSize, causal: true)
        // q, out (B,NH,1,HS); k, v (B,NH,Tk,HS)
        let q = benchmarkBuffer(shape.queryCount, seed: 1)
        let k = benchmarkBuffer(shape.keyCount, seed: 2)
        let v = benchmarkBuffer(shape.keyCount, seed: 3)
        let out = benchmarkBuffer(shape.queryCount)
        cases.append(BenchmarkCase(
            name: "attention_decode B\(batch) Tk\(keys)", kind: "attention_decode",
            parameters: ["batch": batch, "heads": heads, "q_len": 1, "kv_len": keys,
                         "head_size": headSize, "causal": 1],
            flops: 4 * Double(shape.headCount * keys * headSize)) {
                attentionForward(out: out, lse: nil, probs: nil, q: q, k: k, v: v,
                                 keyPaddingMask: nil, shape: shape)
            })
    }
    return cases
}
