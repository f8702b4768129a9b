/// The affine map of a dense layer on GEMM: y = x·Wᵀ + b.
extension Tensor {
    /// x (…, IN) · weight (OUT, IN)ᵀ + bias (OUT) → (…, OUT). `weight` uses PyTorch's layout
    /// (rows are output features), so checkpoints load unchanged.
    ///
    /// Backward: dx = dy·W (overwrites), dW += dyᵀ·x and db += Σ dy over rows (accumulate).
    public func linear(weight: Tensor, bias: Tensor? = nil) throws -> Tensor {
        guard weight.rank == 2, rank >= 1, shape[rank - 1] == weight.shape[1],
              bias.map({ $0.shape == [weight.shape[0]] }) ?? true else {
            throw AttentionError.shape(
                "linear: input \(shape), weight \(weight.shape) and bias \(bias?.shape.description ?? "none") do not fit (need x (…, IN), weight (OUT, IN), bias (OUT))")
        }
        let x = self
        let (outFeatures, inFeatures) = (weight.shape[0], weight.shape[1])
        let rowCount = shape.dropLast().reduce(1, *)
        var outShape = shape
        outShape[rank - 1] = outFeatures
        let out = Tensor.build(outShape, count: rowCount * outFeatures) { y in
            // y (N, OUT) = x (N, IN) · W (OUT, IN)ᵀ + b (empty sizes are no-ops, IN = 0 gives b)
            gemm(transA: false, transB: true, m: rowCount, n: outFeatures, k: inFeatures, alpha: 1,
                 a: x.storage.pointer, lda: max(inFeatures, 1), b: weight.storage.pointer, ldb: max(inFeatures, 1),
                 beta: 0, c: y, ldc: outFeatures, bias: bias?.storage.pointer)
        }
        return Tensor.record(out, op: "linear", inputs: [x, weight] + (bias.map { [$0] } ?? [])) { dy in
            // dx (N, IN) = dy (N, OUT) · W (OUT, IN)
            x.node?.receive {
                gemm(transA: false, transB: false, m: rowCount, n: inFeatures, k: outFeatures, alpha: 1,
                     a: dy, lda: max(outFeatures, 1), b: weight.storage.pointer, ldb: max(inFeatures, 1),
                     beta: 0, c: $0, ldc: max(inFeatures, 1))
            }
            // dW (OUT, IN) += dyᵀ (OUT, N) · x (N, IN)
            weight.node?.accumulate {
                gemm(transA: true, transB: false, m: outFeatures, n: inFeatures, k: rowCount, alpha: 1,
                     a: dy, lda: max(outFeatures, 1), b: x.storage.pointer, ldb: max(inFeatures, 1),
                     beta: 1, c: $0, ldc: max(inFeatures, 1))
            }
            // db (OUT) += Σ_rows dy
            bias?.node?.accumulate { columnSumAccumulate(dsum: $0, x: dy, rows: rowCount, cols: outFeatures) }
        }
    }
}
