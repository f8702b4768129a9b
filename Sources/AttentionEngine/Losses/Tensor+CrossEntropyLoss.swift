/// Cross-entropy over logits with an ignore index (padding), on the cross-entropy kernels.
extension Tensor {
    /// Mean over the rows whose target is not `ignoreIndex` of −log softmax(logits)[target].
    /// logits (…, V); targets: one id per row (the product of the leading dimensions), each in
    /// 0..<V or equal to `ignoreIndex`. Returns a scalar; 0 (with zero gradient) when every row is
    /// ignored. Throws for a count mismatch or an id out of range.
    public func crossEntropyLoss(targets: [Int32], ignoreIndex: Int32 = -100) throws -> Tensor {
        guard rank >= 1, shape[rank - 1] > 0 else {
            throw AttentionError.shape("crossEntropyLoss: logits \(shape) need a non-empty last dimension (…, V)")
        }
        let vocab = shape[rank - 1], rows = count / vocab
        guard targets.count == rows else {
            throw AttentionError.shape("crossEntropyLoss: \(targets.count) targets for logits \(shape) (\(rows) rows)")
        }
        if let bad = targets.first(where: { $0 != ignoreIndex && ($0 < 0 || Int($0) >= vocab) }) {
            throw AttentionError.invalid("crossEntropyLoss: target \(bad) outside 0..<\(vocab) (ignore index \(ignoreIndex))")
        }
        let valid = targets.reduce(0) { $0 + ($1 == ignoreIndex ? 0 : 1) }
        let logits = self, ids = TokenStorage(targets)
        let losses = TensorStorage(uninitializedCount: rows)
        crossEntropyForward(losses: losses.pointer, logits: logits.storage.pointer, targets: ids.pointer,
                            rows: rows, vocab: vocab, ignoreIndex: ignoreIndex)
        let total = valid == 0 ? 0 : vectorSum(losses.pointer, count: rows) / Float(valid)
        return Tensor.record(Tensor(total), op: "cross-entropy", inputs: [logits]) { dout in
            logits.node?.receive {
                crossEntropyBackward(dlogits: $0, logits: logits.storage.pointer, targets: ids.pointer, rows: rows,
                                     vocab: vocab, scale: valid == 0 ? 0 : dout[0] / Float(valid),
                                     ignoreIndex: ignoreIndex)
            }
        }
    }
}
