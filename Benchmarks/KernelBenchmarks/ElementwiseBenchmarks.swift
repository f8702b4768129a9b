import AttentionEngine

// Suite "elementwise": softmax, layernorm and GELU forward on (rows, cols) activations. These
// kernels are memory-bound, so each case reports GB/s over the bytes read plus written.

/// Shapes (rows, cols): GPT-2 small activations (B·T = 4096, C = 768), a square-ish one and a
/// wide one (vocabulary-sized logits); --quick runs one small shape per kernel.
private func elementwiseShapes(quick: Bool) -> [(rows: Int, cols: Int)] {
    quick ? [(256, 768)] : [(4096, 768), (1024, 1024), (512, 8192)]
}

func elementwiseBenchmarks(quick: Bool) -> [BenchmarkCase] {
    var cases: [BenchmarkCase] = []
    let floatSize = Double(MemoryLayout<Float>.stride)
    for (rows, cols) in elementwiseShapes(quick: quick) {
        let count = rows * cols
        let inp = benchmarkBuffer(count, seed: 1), out = benchmarkBuffer(count, seed: 2)
        cases.append(BenchmarkCase(
            name: "softmax \(rows)x\(cols)", kind: "softmax",
            parameters: ["rows": rows, "cols": cols, "causal": 0],
            bytes: 2 * Double(count) * floatSize
        ) { softmaxForward(out: out, inp: inp, rows: rows, cols: cols) })

        let weight = benchmarkBuffer(cols, seed: 3), bias = benchmarkBuffer(cols, seed: 4)
        let mean = benchmarkBuffer(rows, seed: 5), rstd = benchmarkBuffer(rows, seed: 6)
        cases.append(BenchmarkCase(
            name: "layernorm \(rows)x\(cols)", kind: "layernorm",
            parameters: ["rows": rows, "channels": cols],
            bytes: (2 * Double(count) + 2 * Double(cols) + 2 * Double(rows)) * floatSize
        ) {
            layernormForward(out: out, mean: mean, rstd: rstd, inp: inp, weight: weight, bias: bias,
                             rows: rows, channels: cols)
        })

        cases.append(BenchmarkCase(
            name: "gelu \(rows)x\(cols)", kind: "gelu", parameters: ["count": count],
            bytes: 2 * Double(count) * floatSize
        ) { geluForward(out: out, inp: inp, count: count) })
    }
    return cases
}
