import Foundation

// Fused LM head + cross-entropy: the losses of logits = x · Wᵀ, and their gradients, computed
// in chunks of rows so that the (N, V) logits are never all in memory.
//
// Shapes: x, dx (N, C) with N = rows, C = channels; weight, dweight (V, C) with V = vocab;
// targets, losses (N); one chunk's logits (R, V) with R = `linearCrossEntropyChunkRows`.
//
// A training step needs the loss and then its gradient, so the gradient is formed while a
// chunk's logits are in hand (as Liger-Kernel's fused linear cross-entropy does): per chunk,
//
//     logits (R, V)  = x[chunk] (R, C) · W (V, C)ᵀ                       GEMM
//     losses[chunk]  = logsumexp(logits) − logits[target]               row pass, in place:
//     logits        ← scale · (softmax(logits) − onehot(target))        now dlogits
//     dx[chunk] (R, C) = dlogits (R, V) · W (V, C)                      GEMM
//     dW (V, C)     += dlogits (R, V)ᵀ · x[chunk] (R, C)                GEMM, chunks in order
//
// which is the three products of the unfused linear + cross-entropy, without the (N, V) logits
// and their (N, V) gradient. Chunk size is a constant, never derived from the thread count, and
// every GEMM is thread-count independent, so results are bitwise identical for any thread count.

/// Rows per chunk. A multiple of the GEMM's depth block (KC = 256), so that dW accumulates its
/// k = N reduction in the same KC blocks as one unchunked product would. 512 rows of V = 7,477
/// logits are 15 MB, against 122 MB for all 4,096 rows of a (64, 64) batch.
package let linearCrossEntropyChunkRows = 512

/// losses[r] = logsumexp(x[r] · Wᵀ) − x[r] · W[targets[r]] (0 for rows whose target is
/// `ignoreIndex`). With `dx`, also dx = scale · ∂Σlosses/∂x (overwritten); with `dweight`,
/// dweight += scale · ∂Σlosses/∂W. `targets` must lie in 0..<V or equal `ignoreIndex`;
/// non-finite values follow `crossEntropyForward`. V must be positive. `chunkRows` is for
/// benchmarks and tests; results depend on it (through dW's accumulation), never on threads.
package func linearCrossEntropyForward(losses: UnsafeMutablePointer<Float>,
                                      dx: UnsafeMutablePointer<Float>?, dweight: UnsafeMutablePointer<Float>?,
                                      x: UnsafePointer<Float>, weight: UnsafePointer<Float>,
                                      targets: UnsafePointer<Int32>, rows: Int, vocab: Int, channels: Int,
                                      scale: Float, ignoreIndex: Int32 = -1,
                                      chunkRows: Int = linearCrossEntropyChunkRows) {
    let (N, V, C) = (rows, vocab, channels)
    if N <= 0 || V <= 0 { return }
    let chunkRows = min(N, max(chunkRows, 1))
    let logits = TensorStorage(uninitializedCount: chunkRows * V)  // (R, V), reused per chunk
    let ld = max(C, 1)
    for r0 in stride(from: 0, to: N, by: chunkRows) {
        let R = min(chunkRows, N - r0)
        let xChunk = x + r0 * C
        // logits (R, V) = x[chunk] (R, C) · W (V, C)ᵀ
        gemm(transA: false, transB: true, m: R, n: V, k: C, alpha: 1, a: xChunk, lda: ld,
             b: weight, ldb: ld, beta: 0, c: logits.pointer, ldc: V)
        guard dx != nil || dweight != nil else {
            crossEntropyForward(losses: losses + r0, logits: logits.pointer, targets: targets + r0,
                                rows: R, vocab: V, ignoreIndex: ignoreIndex)
            continue
        }
        crossEntropyForwardBackward(losses: losses + r0, logitsToGradient: logits.pointer, targets: targets + r0,
                                    rows: R, vocab: V, scale: scale, ignoreIndex: ignoreIndex)
        if C == 0 { continue }
        if let dx {
            // dx[chunk] (R, C) = dlogits (R, V) · W (V, C)
            gemm(transA: false, transB: false, m: R, n: C, k: V, alpha: 1, a: logits.pointer, lda: V,
                 b: weight, ldb: C, beta: 0, c: dx + r0 * C, ldc: C)
        }
        if let dweight {
            // dW (V, C) += dlogits (R, V)ᵀ · x[chunk] (R, C)
            gemm(transA: true, transB: false, m: V, n: C, k: R, alpha: 1, a: logits.pointer, lda: V,
                 b: xChunk, ldb: C, beta: 1, c: dweight, ldc: C)
        }
    }
}

/// Reference for `linearCrossEntropyForward`: logits, softmax and both products in Double,
/// one row at a time, without chunks.
package func linearCrossEntropyForwardNaive(losses: UnsafeMutablePointer<Float>,
                                           dx: UnsafeMutablePointer<Float>?, dweight: UnsafeMutablePointer<Float>?,
                                           x: UnsafePointer<Float>, weight: UnsafePointer<Float>,
                                           targets: UnsafePointer<Int32>, rows: Int, vocab: Int, channels: Int,
                                           scale: Float, ignoreIndex: Int32 = -1) {
    let (N, V, C) = (rows, vocab, channels)
    if N <= 0 || V <= 0 { return }
    var weightSums = [Double](repeating: 0, count: V * C)
    var logits = [Double](repeating: 0, count: V)
    for r in 0..<N {
        for v in 0..<V {
            var sum = 0.0
            for c in 0..<C { sum += Double(x[r * C + c]) * Double(weight[v * C + c]) }
            logits[v] = sum
        }
        let target = targets[r]
        guard target != ignoreIndex else {
            losses[r] = 0
            if let dx { for c in 0..<C { dx[r * C + c] = 0 } }
            continue
        }
        let rowMax = logits.max()!
        let sum = logits.reduce(0.0) { $0 + Foundation.exp($1 - rowMax) }
        losses[r] = Float(rowMax + Foundation.log(sum) - logits[Int(target)])
        var rowGradient = [Double](repeating: 0, count: C)
        for v in 0..<V {
            let g = Double(scale) * (Foundation.exp(logits[v] - rowMax) / sum - (v == Int(target) ? 1 : 0))
            for c in 0..<C {
                rowGradient[c] += g * Double(weight[v * C + c])
                weightSums[v * C + c] += g * Double(x[r * C + c])
            }
        }
        if let dx { for c in 0..<C { dx[r * C + c] = Float(rowGradient[c]) } }
    }
    if let dweight { for j in 0..<V * C { dweight[j] += Float(weightSums[j]) } }
}
