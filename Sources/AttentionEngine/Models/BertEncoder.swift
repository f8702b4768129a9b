// The BERT encoder's forward pass for inference, on raw buffers and the engine's kernels
// (no autograd: nothing is trained here).
//
// Letters: B sequences in the batch, T padded length, N = B·T token rows, C hidden size,
// NH heads, HS head size, F feed-forward size.
//
//     x = LayerNorm(word[id] + position[t] + type[0])                    embeddings
//     for each layer (post-LN, as BERT):
//         q, k, v = x·Wqkvᵀ + bqkv, split into heads                    (B,NH,T,HS) each
//         a = softmax(q·kᵀ/√HS + padding mask)·v, heads merged          (N,C), not causal
//         x = LayerNorm(x + a·Woᵀ + bo)
//         x = LayerNorm(x + GELU(x·W1ᵀ + b1)·W2ᵀ + b2)
//
// Every token row's result is independent of the other sequences in the batch and of how much
// padding follows it: GEMM rows and layer norms are computed row by row, padded keys enter the
// attention with probability exactly 0, and the GEMMs always take their packed path (at least
// `gemvMaxRows + 1` rows), so an embedding is bitwise the same whatever batch it runs in and for
// any thread count.

/// A BERT encoder with loaded weights: token ids in, contextual token vectors out.
/// Immutable after loading, so one instance may serve many threads at once.
final class BertEncoder: Sendable {
    let weights: BertWeights
    var config: BertConfig { weights.config }

    init(weights: BertWeights) {
        self.weights = weights
    }

    /// The hidden states of the last layer for a padded batch.
    ///
    /// - out (B,T,C): overwritten; rows of padding hold values that mean nothing.
    /// - tokens (B,T): ids in 0..<V (validated by the caller), padding anywhere after each
    ///   sequence's `lengths[b]` tokens.
    /// - lengths (B): 1...T real tokens per sequence.
    /// - attentionProbabilities: when given, called after each layer with that layer's
    ///   probabilities (B,NH,T,T) (0 for padded keys), for inspection.
    func forward(out: UnsafeMutablePointer<Float>, tokens: UnsafePointer<Int32>, lengths: [Int], time T: Int,
                 attentionProbabilities: ((_ layer: Int, _ probs: UnsafePointer<Float>) -> Void)? = nil) {
        let B = lengths.count
        let (C, NH, F) = (config.hiddenSize, config.headCount, config.intermediateSize)
        let HS = C / NH
        let N = B * T
        // The GEMMs run on at least gemvMaxRows + 1 rows so that they always take the packed
        // path, whose per-row arithmetic does not depend on the row count (rows beyond N are
        // zero padding).
        let rows = max(N, gemvMaxRows + 1)
        let x = out                                   // (N,C), the residual stream
        let workspace = Workspace(rows: rows, channels: C, feedForward: F, tokens: N, heads: NH, time: T,
                                  keepProbabilities: attentionProbabilities != nil)
        defer { workspace.release() }
        if rows > N { (workspace.residual + N * C).initialize(repeating: 0, count: (rows - N) * C) }
        let residual = workspace.residual             // (rows,C) = x with padding rows

        // Embeddings: word + position + token type 0, then LayerNorm.
        weights.withEmbeddings { table in
            table.word.gatherRows(tokens, count: N, columns: C, into: residual)
            Parallel.forEachChunk(N, grain: max(1, 16_384 / C)) { range in
                for row in range {
                    let r = residual + row * C
                    vectorAdd(out: r, a: r, b: table.position + (row % T) * C, count: C)
                    vectorAdd(out: r, a: r, b: table.type, count: C)
                }
            }
            layernormForward(out: residual, mean: nil, rstd: nil, inp: residual, weight: table.normWeight,
                             bias: table.normBias, rows: N, channels: C, eps: config.layerNormEps)
        }

        // Key padding mask (B,T): 1 marks a padded key.
        let mask = workspace.mask
        for b in 0..<B {
            for t in 0..<T { mask[b * T + t] = t < lengths[b] ? 0 : 1 }
        }
        let shape = AttentionShape(batch: B, heads: NH, queryLength: T, keyLength: T, headSize: HS, causal: false)
        let (qkv, q, k, v) = (workspace.qkv, workspace.q, workspace.k, workspace.v)
        let (attended, merged, hidden, sum) = (workspace.attended, workspace.merged, workspace.hidden, workspace.sum)

        for index in 0..<config.layerCount { weights.withLayer(index) { layer in
            // qkv (rows,3C) = x · [Wq; Wk; Wv]ᵀ + [bq; bk; bv], then q, k, v (B,NH,T,HS).
            for (part, (weight, bias)) in [(layer.queryWeight, layer.queryBias), (layer.keyWeight, layer.keyBias),
                                           (layer.valueWeight, layer.valueBias)].enumerated() {
                weight.linear(m: rows, outFeatures: C, inFeatures: C, a: residual, lda: C, c: qkv + part * C, ldc: 3 * C,
                              bias: bias)
            }
            for (part, target) in [q, k, v].enumerated() {
                splitHeadsForward(out: target, inp: qkv, batch: B, time: T, parts: 3, part: part, heads: NH, headSize: HS)
            }
            attentionForward(out: attended, lse: nil, probs: workspace.probabilities, q: q, k: k, v: v,
                             keyPaddingMask: mask, shape: shape)
            if let probabilities = workspace.probabilities { attentionProbabilities?(index, probabilities) }
            mergeHeadsForward(out: merged, inp: attended, batch: B, time: T, heads: NH, headSize: HS)
            // x = LayerNorm(x + merged · Woᵀ + bo)
            layer.attentionOutWeight.linear(m: rows, outFeatures: C, inFeatures: C, a: merged, lda: C, c: sum, ldc: C,
                                            bias: layer.attentionOutBias)
            vectorAdd(out: sum, a: sum, b: residual, count: rows * C)
            layernormForward(out: residual, mean: nil, rstd: nil, inp: sum, weight: layer.ln1Weight,
                             bias: layer.ln1Bias, rows: rows, channels: C, eps: config.layerNormEps)
            // x = LayerNorm(x + GELU(x · W1ᵀ + b1) · W2ᵀ + b2)
            layer.ffnInWeight.linear(m: rows, outFeatures: F, inFeatures: C, a: residual, lda: C, c: hidden, ldc: F,
                                     bias: layer.ffnInBias)
            switch config.activation {
            case .geluErf: geluErfForward(out: hidden, inp: hidden, count: rows * F)
            case .geluTanh: geluForward(out: hidden, inp: hidden, count: rows * F)
            }
            layer.ffnOutWeight.linear(m: rows, outFeatures: C, inFeatures: F, a: hidden, lda: F, c: sum, ldc: C,
                                      bias: layer.ffnOutBias)
            vectorAdd(out: sum, a: sum, b: residual, count: rows * C)
            layernormForward(out: residual, mean: nil, rstd: nil, inp: sum, weight: layer.ln2Weight,
                             bias: layer.ln2Bias, rows: rows, channels: C, eps: config.layerNormEps)
        } }
        x.update(from: residual, count: N * C)
    }

    /// Bytes of scratch one `forward` of B sequences × T tokens uses, for budgeting batches.
    func workspaceBytes(batch B: Int, time T: Int, keepProbabilities: Bool = false) -> Double {
        let (C, NH, F) = (Double(config.hiddenSize), Double(config.headCount), Double(config.intermediateSize))
        let rows = Double(max(B * T, gemvMaxRows + 1))
        let floats = rows * (C + 3 * C + C + C + F) + 4 * Double(B * T) * C
            + (keepProbabilities ? Double(B) * NH * Double(T) * Double(T) : 0)
        return 4 * floats
    }
}

/// The scratch buffers of one forward pass, from the engine's buffer pool (reused across
/// batches). Shapes as in `BertEncoder.forward`.
private struct Workspace {
    let residual: UnsafeMutablePointer<Float>     // (rows,C)
    let qkv: UnsafeMutablePointer<Float>          // (rows,3C)
    let q, k, v, attended: UnsafeMutablePointer<Float>  // (B,NH,T,HS) each
    let merged: UnsafeMutablePointer<Float>       // (rows,C)
    let sum: UnsafeMutablePointer<Float>          // (rows,C)
    let hidden: UnsafeMutablePointer<Float>       // (rows,F)
    let probabilities: UnsafeMutablePointer<Float>?  // (B,NH,T,T)
    let mask: UnsafeMutablePointer<UInt8>         // (B,T)
    private let sizes: [Int]

    init(rows: Int, channels C: Int, feedForward F: Int, tokens N: Int, heads NH: Int, time T: Int,
         keepProbabilities: Bool) {
        let B = N / T
        residual = BufferPool.allocate(rows * C)
        qkv = BufferPool.allocate(rows * 3 * C)
        q = BufferPool.allocate(N * C)
        k = BufferPool.allocate(N * C)
        v = BufferPool.allocate(N * C)
        attended = BufferPool.allocate(N * C)
        merged = BufferPool.allocate(rows * C)
        sum = BufferPool.allocate(rows * C)
        hidden = BufferPool.allocate(rows * F)
        probabilities = keepProbabilities ? BufferPool.allocate(B * NH * T * T) : nil
        mask = .allocate(capacity: N)
        sizes = [rows * C, rows * 3 * C, N * C, rows * F, B * NH * T * T]
        // merged's padding rows are read by the GEMM: keep them finite.
        if rows > N { (merged + N * C).initialize(repeating: 0, count: (rows - N) * C) }
    }

    func release() {
        BufferPool.release(residual, count: sizes[0])
        BufferPool.release(qkv, count: sizes[1])
        for buffer in [q, k, v, attended] { BufferPool.release(buffer, count: sizes[2]) }
        BufferPool.release(merged, count: sizes[0])
        BufferPool.release(sum, count: sizes[0])
        BufferPool.release(hidden, count: sizes[3])
        if let probabilities { BufferPool.release(probabilities, count: sizes[4]) }
        mask.deallocate()
    }
}
