/// The shared shape of the elementwise regression losses (L1, MSE): a scalar mean over all
/// elements of two same-shaped tensors, with gradients to both (the label's is the negation).
extension Tensor {
    /// - Parameters:
    ///   - name: the loss's name in errors ("L1 loss").
    ///   - forward: mean loss of pred (count) against label (count).
    ///   - backward: dpred (count) = scale · ∂loss/∂pred, overwritten.
    func elementwiseLoss(
        _ label: Tensor, name: String,
        forward: (_ pred: UnsafePointer<Float>, _ label: UnsafePointer<Float>, _ count: Int) -> Float,
        backward: @escaping (_ dpred: UnsafeMutablePointer<Float>, _ pred: UnsafePointer<Float>,
                             _ label: UnsafePointer<Float>, _ count: Int, _ scale: Float) -> Void
    ) throws -> Tensor {
        guard shape == label.shape else {
            throw AttentionError.shape("\(name): prediction \(shape) and label \(label.shape) differ")
        }
        let pred = self, count = self.count
        let out = Tensor(forward(pred.storage.pointer, label.storage.pointer, count))
        return Tensor.record(out, op: "elementwise loss", inputs: [pred, label]) { dout in
            pred.node?.receive { backward($0, pred.storage.pointer, label.storage.pointer, count, dout[0]) }
            label.node?.receive { backward($0, pred.storage.pointer, label.storage.pointer, count, -dout[0]) }
        }
    }
}
