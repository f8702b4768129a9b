// The products of BF16 / Q8 weights (QuantizedMatrix) with FP32 activations, for inference:
//
//     y (N, OUT) = x (N, IN) · W (OUT, IN)ᵀ + b (OUT)
//
// Each row of x is one matrix-vector product: x is permuted once for the active ISA's vector
// width (BF16), then threads split the row quads of W (RowQuadLayout; the kernels in
// AttentionKernels/QuantizedDotRows.swift, through KernelISA). Each output element is one
// reduction whose order depends only on IN and the vector width, so the result is bitwise
// identical for any thread count. For N > 1 (a
// prompt) the weights are read N times; decoding, the case that is bound by memory, has N = 1.

/// Smallest number of weights (OUT · IN) worth splitting across threads.
private let quantizedParallelWeights = 1 << 15

extension QuantizedMatrix {
    /// x (…, IN) → (…, OUT) = x · Wᵀ + bias. No gradient is recorded: throws when autograd is
    /// recording and x requires one (a quantized model only runs forward).
    public func linear(_ x: Tensor, bias: Tensor?) throws -> Tensor {
        try linear(x, bias: bias, isa: .active)
    }

    /// `linear` with the kernels of `isa` (tests compare every set this CPU executes).
    package func linear(_ x: Tensor, bias: Tensor?, isa: KernelISA) throws -> Tensor {
        guard x.rank >= 1, x.shape[x.rank - 1] == columns, bias.map({ $0.shape == [rows] }) ?? true else {
            throw AttentionError.shape("quantized linear: input \(x.shape) and bias \(bias?.shape.description ?? "none") do not fit weights (\(rows), \(columns))")
        }
        guard !(Autograd.isRecording && x.node != nil) else {
            throw AttentionError.invalid("quantized linear: \(format.rawValue) weights only run forward (a quantized model cannot be trained; run it inside Autograd.withNoGrad)")
        }
        var outShape = x.shape
        outShape[x.rank - 1] = rows
        let inputRows = x.shape.dropLast().reduce(1, *)
        let kernels = isa.kernels
        let width = isa.vectorWidth
        let k = columns
        let n = rows
        let quads = RowQuadLayout(rows: n, columns: k, chunk: quantizedChunk).quads
        let grain = max(1, quantizedParallelWeights / max(quantizedQuadRows * k, 1))  // quads
        return Tensor.build(outShape, count: inputRows * n) { y in
            guard k > 0 else {
                for e in 0..<inputRows * n { y[e] = bias?.storage.pointer[e % n] ?? 0 }
                return
            }
            // permuted (IN)
            let permuted = ThreadScratch.floats(.gemvVector, count: max(k, 1))
            for i in 0..<inputRows {
                let input = x.storage.pointer + i * k
                let output = y + i * n
                let biasPointer = bias?.storage.pointer
                switch format {
                case .bf16:
                    // The chunks of 32 are permuted, the tail columns stay as they are.
                    let chunked = k - k % quantizedChunk
                    deinterleave(permuted, input, k: chunked, width: width, planes: 2)
                    for p in chunked..<k { permuted[p] = input[p] }
                    packedBF16.withUnsafeBufferPointer { w in
                        Parallel.forEachChunk(quads, grain: grain) { range in
                            kernels.bf16DotRows(quads: range, rows: n, k: k, xPermuted: permuted,
                                                weights: w.baseAddress!, bias: biasPointer, y: output)
                        }
                    }
                case .q8:
                    packedQuants.withUnsafeBufferPointer { q in
                        packedScales.withUnsafeBufferPointer { s in
                            Parallel.forEachChunk(quads, grain: grain) { range in
                                kernels.q8DotRows(quads: range, rows: n, k: k, x: input, quants: q.baseAddress!,
                                                  scales: s.baseAddress!, bias: biasPointer, y: output)
                            }
                        }
                    }
                }
            }
        }
    }

    /// The reference for `linear`: x (N, IN) · dequantized Wᵀ + bias in Double, rounded to FP32.
    package func linearNaive(_ x: [Float], inputRows: Int, bias: [Float]?) -> [Float] {
        let w = dequantized().scalars
        var y = [Float](repeating: 0, count: inputRows * rows)
        for i in 0..<inputRows {
            for j in 0..<rows {
                var sum = Double(bias?[j] ?? 0)
                for p in 0..<columns { sum += Double(x[i * columns + p]) * Double(w[j * columns + p]) }
                y[i * rows + j] = Float(sum)
            }
        }
        return y
    }
}
