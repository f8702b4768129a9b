import AttentionEngine

/// The host's FMA peak with the kernels in use (`KernelISA.active`): every thread runs
/// independent fused multiply-adds on full vectors. Benchmarks/compare.py prints it above its
/// tables and each case's fraction of it. No reference library computes the same thing.
func peakBenchmarks(quick: Bool) -> [BenchmarkCase] {
    let isa = KernelISA.active
    let iterations = quick ? 1 << 18 : 1 << 22
    let threads = Parallel.threadCount
    let results = benchmarkBuffer(threads)
    // 12 chains × 2 flops × vectorWidth lanes per iteration, on every thread.
    let flops = Double(threads) * Double(iterations) * 24 * Double(isa.vectorWidth)
    return [
        BenchmarkCase(name: "fma peak \(isa)", kind: "fma_peak", parameters: [:], flops: flops) {
            Parallel.forEachChunk(threads, grain: 1) { range in
                for thread in range { results[thread] = isa.fmaPeakLoop(iterations: iterations) }
            }
        },
    ]
}
