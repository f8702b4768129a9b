/// The LM head and its cross-entropy as one op, on the fused kernel (LinearCrossEntropy.swift):
/// the (N, V) logits are only ever held one row chunk at a time.
extension Tensor {
    /// `linear(weight:)` followed by `crossEntropyLoss(targets:ignoreIndex:)`, without
    /// materializing the logits: x (…, C), weight (V, C) (e.g. a tied token table), one target per
    /// row of x, each in 0..<V or equal to `ignoreIndex`. Returns the mean loss over the
    /// non-ignored rows (0, with zero gradients, when every row is ignored).
    ///
    /// When the tape records and x or weight requires a gradient, the gradients for a unit
    /// output gradient are computed during this forward pass (the logits of a chunk are in hand)
    /// and kept, (N, C) and (V, C) floats, until the backward pass scales them by the output
    /// gradient. Throws for mismatched shapes or counts, an empty vocabulary, or an id out of range.
    ///
    ///     let loss = try features.linearCrossEntropyLoss(weight: wte.weight.value, targets: targets)
    ///     try loss.backward()   // dfeatures and dwte, as linear + crossEntropyLoss would give
    public func linearCrossEntropyLoss(weight: Tensor, targets: [Int32], ignoreIndex: Int32 = -100) throws -> Tensor {
        guard weight.rank == 2, rank >= 1, shape[rank - 1] == weight.shape[1], weight.shape[0] > 0 else {
            throw AttentionError.shape(
                "linearCrossEntropyLoss: input \(shape) and weight \(weight.shape) do not fit (need x (…, C), weight (V, C) with V > 0)")
        }
        let (vocab, channels) = (weight.shape[0], weight.shape[1])
        let rows = shape.dropLast().reduce(1, *)
        guard targets.count == rows else {
            throw AttentionError.shape("linearCrossEntropyLoss: \(targets.count) targets for input \(shape) (\(rows) rows)")
        }
        if let bad = targets.first(where: { $0 != ignoreIndex && ($0 < 0 || Int($0) >= vocab) }) {
            throw AttentionError.invalid("linearCrossEntropyLoss: target \(bad) outside 0..<\(vocab) (ignore index \(ignoreIndex))")
        }
        let valid = targets.reduce(0) { $0 + ($1 == ignoreIndex ? 0 : 1) }
        let scale: Float = valid == 0 ? 0 : 1 / Float(valid)
        let x = self, ids = TokenStorage(targets)
        let recording = Autograd.isRecording
        // Gradients of the mean loss for a unit output gradient: dx (N, C), dweight (V, C).
        let dx = recording && x.requiresGrad ? TensorStorage(uninitializedCount: rows * channels) : nil
        let dweight = recording && weight.requiresGrad ? TensorStorage(count: vocab * channels, repeating: 0) : nil
        let losses = TensorStorage(uninitializedCount: max(rows, 1))  // (N)
        linearCrossEntropyForward(losses: losses.pointer, dx: dx?.pointer, dweight: dweight?.pointer,
                                  x: x.storage.pointer, weight: weight.storage.pointer, targets: ids.pointer,
                                  rows: rows, vocab: vocab, channels: channels, scale: scale,
                                  ignoreIndex: ignoreIndex)
        let total = valid == 0 ? 0 : vectorSum(losses.pointer, count: rows) / Float(valid)
        return Tensor.record(Tensor(total), op: "LM head + cross-entropy", inputs: [x, weight]) { dout in
            let factor = dout[0]
            if let dx {
                x.node?.receive { target in
                    if factor == 1 {
                        target.update(from: dx.pointer, count: dx.count)
                    } else {
                        vectorAffine(out: target, x: dx.pointer, alpha: factor, beta: 0, count: dx.count)
                    }
                }
            }
            if let dweight {
                weight.node?.accumulate { vectorAddScaled(out: $0, x: dweight.pointer, alpha: factor, count: dweight.count) }
            }
        }
    }
}
