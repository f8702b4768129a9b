import AttentionEngine

/// The engine's overhead: forward + backward of one pre-LN TransformerBlock through the tape,
/// next to the same kernel calls (GEMMs, layernorm, attention, GELU, bias sums, residual adds,
/// MSE) issued directly on preallocated buffers. The difference is what the engine adds:
/// allocation, head permutes and slices, gradient accumulation, graph bookkeeping.
///
/// The engine case's name carries its memory high-water mark for one training step
/// (MemoryStatistics: activations, gradients and scratch above the parameters and inputs).
func engineBenchmarks(quick: Bool) -> [BenchmarkCase] {
    let (batch, time, channels, heads) = quick ? (2, 64, 128, 4) : (8, 256, 256, 8)
    let parameters = ["b": batch, "t": time, "c": channels, "nh": heads]
    let name = "B\(batch) T\(time) C\(channels) NH\(heads)"
    // Forward FLOPs of the four GEMMs (2·N·C·(3C + C + 4C + 4C)) and attention (2 GEMMs of
    // 2·B·T²·C, halved by the causal mask); backward ≈ 2× forward.
    let n = Double(batch * time), c = Double(channels), t = Double(time)
    let flops = 3 * (2 * n * c * 12 * c + 2 * n * t * c)
    let engineStep = blockThroughEngine(batch, time, channels, heads)
    // One step up front measures the memory high-water mark above what is already allocated.
    let before = MemoryStatistics.currentBytes
    MemoryStatistics.resetPeak()
    engineStep()
    let peakMiB = (MemoryStatistics.peakBytes - before) / (1 << 20)
    return [
        BenchmarkCase(name: "engine.block.fwd_bwd \(name) peak \(peakMiB) MiB", kind: "transformer_block",
                      parameters: parameters, flops: flops, run: engineStep),
        BenchmarkCase(name: "engine.block.kernels \(name)", kind: "transformer_block", parameters: parameters,
                      flops: flops, run: blockThroughKernels(batch, time, channels, heads)),
    ]
}

/// One training step's forward and backward of a causal TransformerBlock with an MSE loss.
private func blockThroughEngine(_ batch: Int, _ time: Int, _ channels: Int, _ heads: Int) -> () -> Void {
    var rng = Random(seed: 1)
    let block = try! TransformerBlock(channels: channels, heads: heads, causal: true, rng: &rng)
    let x = try! Tensor.normal([batch, time, channels], using: &rng)
    let target = try! Tensor.normal([batch, time, channels], using: &rng)
    return {
        block.zeroGrad()
        try! block(x).mseLoss(target).backward()
    }
}

/// The same step as bare kernel calls in llm.c style. Buffers hold the block's activations:
/// rows N = B·T, channels C, H = 4C.
private func blockThroughKernels(_ batch: Int, _ time: Int, _ channels: Int, _ heads: Int) -> () -> Void {
    let (n, c, h) = (batch * time, channels, 4 * channels)
    let shape = AttentionShape(batch: batch, heads: heads, queryLength: time, keyLength: time,
                               headSize: c / heads, causal: true)
    // parameters and their gradients
    let lnw = benchmarkBuffer(c), lnb = benchmarkBuffer(c), dlnw = benchmarkBuffer(c), dlnb = benchmarkBuffer(c)
    let wqkv = benchmarkBuffer(3 * c * c), bqkv = benchmarkBuffer(3 * c), dwqkv = benchmarkBuffer(3 * c * c), dbqkv = benchmarkBuffer(3 * c)
    let wproj = benchmarkBuffer(c * c), bproj = benchmarkBuffer(c), dwproj = benchmarkBuffer(c * c), dbproj = benchmarkBuffer(c)
    let wfc = benchmarkBuffer(h * c), bfc = benchmarkBuffer(h), dwfc = benchmarkBuffer(h * c), dbfc = benchmarkBuffer(h)
    let wout = benchmarkBuffer(c * h), bout = benchmarkBuffer(c), dwout = benchmarkBuffer(c * h), dbout = benchmarkBuffer(c)
    // activations (N, ·) and their gradients
    let x = benchmarkBuffer(n * c), target = benchmarkBuffer(n * c)
    let ln1 = benchmarkBuffer(n * c), mean1 = benchmarkBuffer(n), rstd1 = benchmarkBuffer(n)
    let qkv = benchmarkBuffer(n * 3 * c), q = benchmarkBuffer(n * c), k = benchmarkBuffer(n * c), v = benchmarkBuffer(n * c)
    let att = benchmarkBuffer(n * c), lse = benchmarkBuffer(batch * heads * time), proj = benchmarkBuffer(n * c)
    let res1 = benchmarkBuffer(n * c), ln2 = benchmarkBuffer(n * c), mean2 = benchmarkBuffer(n), rstd2 = benchmarkBuffer(n)
    let fc = benchmarkBuffer(n * h), act = benchmarkBuffer(n * h), out = benchmarkBuffer(n * c), res2 = benchmarkBuffer(n * c)
    let dres2 = benchmarkBuffer(n * c), dact = benchmarkBuffer(n * h), dfc = benchmarkBuffer(n * h)
    let dln2 = benchmarkBuffer(n * c), dres1 = benchmarkBuffer(n * c), datt = benchmarkBuffer(n * c)
    let dq = benchmarkBuffer(n * c), dk = benchmarkBuffer(n * c), dv = benchmarkBuffer(n * c)
    let dqkv = benchmarkBuffer(n * 3 * c), dln1 = benchmarkBuffer(n * c), dx = benchmarkBuffer(n * c)
    // y (N, OUT) = x (N, IN)·Wᵀ + b, and its backward.
    func linear(_ y: UnsafeMutablePointer<Float>, _ x: UnsafePointer<Float>, _ w: UnsafePointer<Float>,
                _ b: UnsafePointer<Float>, _ inFeatures: Int, _ outFeatures: Int) {
        gemm(transA: false, transB: true, m: n, n: outFeatures, k: inFeatures, alpha: 1, a: x, lda: inFeatures,
             b: w, ldb: inFeatures, beta: 0, c: y, ldc: outFeatures, bias: b)
    }
    func linearBackward(_ dx: UnsafeMutablePointer<Float>, _ dw: UnsafeMutablePointer<Float>, _ db: UnsafeMutablePointer<Float>,
                        _ dy: UnsafePointer<Float>, _ x: UnsafePointer<Float>, _ w: UnsafePointer<Float>,
                        _ inFeatures: Int, _ outFeatures: Int) {
        gemm(transA: false, transB: false, m: n, n: inFeatures, k: outFeatures, alpha: 1, a: dy, lda: outFeatures,
             b: w, ldb: inFeatures, beta: 0, c: dx, ldc: inFeatures)
        gemm(transA: true, transB: false, m: outFeatures, n: inFeatures, k: n, alpha: 1, a: dy, lda: outFeatures,
             b: x, ldb: inFeatures, beta: 1, c: dw, ldc: inFeatures)
        columnSumAccumulate(dsum: db, x: dy, rows: n, cols: outFeatures)
    }
    return {
        // forward
        layernormForward(out: ln1, mean: mean1, rstd: rstd1, inp: x, weight: lnw, bias: lnb, rows: n, channels: c, eps: 1e-5)
        linear(qkv, ln1, wqkv, bqkv, c, 3 * c)
        attentionForward(out: att, lse: lse, probs: nil, q: q, k: k, v: v, keyPaddingMask: nil, shape: shape)
        linear(proj, att, wproj, bproj, c, c)
        vectorAdd(out: res1, a: x, b: proj, count: n * c)
        layernormForward(out: ln2, mean: mean2, rstd: rstd2, inp: res1, weight: lnw, bias: lnb, rows: n, channels: c, eps: 1e-5)
        linear(fc, ln2, wfc, bfc, c, h)
        geluForward(out: act, inp: fc, count: n * h)
        linear(out, act, wout, bout, h, c)
        vectorAdd(out: res2, a: res1, b: out, count: n * c)
        _ = mseLossForward(pred: res2, label: target, count: n * c)
        // backward
        mseLossBackward(dpred: dres2, pred: res2, label: target, count: n * c, scale: 1)
        linearBackward(dact, dwout, dbout, dres2, act, wout, h, c)
        geluBackward(dinp: dfc, dout: dact, inp: fc, count: n * h)
        linearBackward(dln2, dwfc, dbfc, dfc, ln2, wfc, c, h)
        layernormBackward(dinp: dres1, dweight: dlnw, dbias: dlnb, dout: dln2, inp: res1, weight: lnw,
                          mean: mean2, rstd: rstd2, rows: n, channels: c)
        vectorAdd(out: dres1, a: dres1, b: dres2, count: n * c)
        linearBackward(datt, dwproj, dbproj, dres1, att, wproj, c, c)
        attentionBackward(dq: dq, dk: dk, dv: dv, dout: datt, q: q, k: k, v: v, out: att, lse: lse,
                          keyPaddingMask: nil, shape: shape)
        linearBackward(dln1, dwqkv, dbqkv, dqkv, ln1, wqkv, c, 3 * c)
        layernormBackward(dinp: dx, dweight: dlnw, dbias: dlnb, dout: dln1, inp: x, weight: lnw,
                          mean: mean1, rstd: rstd1, rows: n, channels: c)
        vectorAdd(out: dx, a: dx, b: dres1, count: n * c)
    }
}
