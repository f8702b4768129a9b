import AttentionEngine

/// The "gemm" suite: squares, the three GEMMs of a Linear layer over M = 4096 tokens, and the
/// small and skinny shapes of generation and attention, and the products of the fused LM head. Parameters m, n, k, trans_a, trans_b
/// (kind "gemm", see Benchmarks/references/gemm.py); flops = 2·m·n·k.
func gemmBenchmarks(quick: Bool) -> [BenchmarkCase] {
    // All cases share three buffers sized for the largest operand (4096 × 1024 = 2048²).
    let capacity = 4096 * 1024
    let a = benchmarkBuffer(capacity, seed: 1)
    let b = benchmarkBuffer(capacity, seed: 2)
    let c = benchmarkBuffer(capacity, seed: 3)

    func gemmCase(_ name: String, m: Int, n: Int, k: Int, transA: Bool = false,
                  transB: Bool = false) -> BenchmarkCase {
        precondition(m * k <= capacity && k * n <= capacity && m * n <= capacity)
        return BenchmarkCase(
            name: name, kind: "gemm",
            parameters: ["m": m, "n": n, "k": k, "trans_a": transA ? 1 : 0, "trans_b": transB ? 1 : 0],
            flops: 2 * Double(m) * Double(n) * Double(k)
        ) {
            gemm(transA: transA, transB: transB, m: m, n: n, k: k, alpha: 1,
                 a: a, lda: transA ? m : k, b: b, ldb: transB ? k : n, beta: 0, c: c, ldc: n)
        }
    }

    // A Linear layer Y (M, N) = X (M, K) · W (N, K)ᵀ and its two backward GEMMs.
    func linearCases(tokens: Int, inputs: Int, outputs: Int) -> [BenchmarkCase] {
        let shape = "M\(tokens) K\(inputs) N\(outputs)"
        return [
            gemmCase("linear fwd Y=XWt \(shape)", m: tokens, n: outputs, k: inputs, transB: true),
            gemmCase("linear bwd dX=dYW \(shape)", m: tokens, n: inputs, k: outputs),
            gemmCase("linear bwd dW=dYtX \(shape)", m: outputs, n: inputs, k: tokens, transA: true),
        ]
    }

    if quick {
        return [gemmCase("gemm 256x256x256", m: 256, n: 256, k: 256),
                gemmCase("gemm 64x64x64", m: 64, n: 64, k: 64)]
            + linearCases(tokens: 256, inputs: 256, outputs: 256)
            + [gemmCase("generate 1x768 Wt 768x768", m: 1, n: 768, k: 768, transB: true)]
    }
    var cases = [256, 512, 1024, 2048].map { gemmCase("gemm \($0)x\($0)x\($0)", m: $0, n: $0, k: $0) }
    for inputs in [256, 768, 1024] {
        for outputs in [256, 768, 1024] {
            cases += linearCases(tokens: 4096, inputs: inputs, outputs: outputs)
        }
    }
    cases += [
        // Generation: one token through a Linear layer (W (N, K), transB) and its transpose.
        gemmCase("generate 1x768 Wt 768x768", m: 1, n: 768, k: 768, transB: true),
        gemmCase("generate 1x1024 Wt 3072x1024", m: 1, n: 3072, k: 1024, transB: true),
        gemmCase("vector 1x768 W 768x768", m: 1, n: 768, k: 768),
        gemmCase("column 768x768 x 768x1", m: 768, n: 1, k: 768),
        // Attention-sized: one head's scores Q·Kᵀ and output P·V.
        gemmCase("attention 64x64x64 QKt", m: 64, n: 64, k: 64, transB: true),
        gemmCase("attention 64x64x64 PV", m: 64, n: 64, k: 64),
        gemmCase("attention 256x256x64 QKt", m: 256, n: 256, k: 64, transB: true),
        // Small batches and skinny operands.
        gemmCase("batch 4x768 Wt 768x768", m: 4, n: 768, k: 768, transB: true),
        gemmCase("small k 4096x768 k16", m: 4096, n: 768, k: 16),
        gemmCase("small n 4096x8 k768 Wt", m: 4096, n: 8, k: 768, transB: true),
        // One 512-row chunk of the fused LM head at the Tang corpus' vocabulary (V 7477, C 128):
        // logits = x·Wᵀ, dx = dlogits·W, dW = dlogitsᵀ·x (LinearCrossEntropy.swift).
        gemmCase("lm head logits R512 V7477 C128", m: 512, n: 7477, k: 128, transB: true),
        gemmCase("lm head dX R512 V7477 C128", m: 512, n: 128, k: 7477),
        gemmCase("lm head dW R512 V7477 C128", m: 7477, n: 128, k: 512, transA: true),
    ]
    return cases
}
