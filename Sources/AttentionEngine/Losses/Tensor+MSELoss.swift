/// The MSE loss op: mean (pred − label)² over all elements (kernels in Kernels/MSELoss.swift).
extension Tensor {
    /// Mean squared error, mean (self − label)², as a scalar; `label` must have the same shape.
    /// Gradients flow to both operands.
    public func mseLoss(_ label: Tensor) throws -> Tensor {
        guard shape == label.shape else {
            throw AttentionError.shape("MSE loss: prediction \(shape) and label \(label.shape) differ")
        }
        let pred = self, count = self.count
        let out = Tensor(mseLossForward(pred: pred.storage.pointer, label: label.storage.pointer, count: count))
        return Tensor.record(out, inputs: [pred, label]) { dout in
            pred.node?.receive {
                mseLossBackward(dpred: $0, pred: pred.storage.pointer, label: label.storage.pointer,
                                count: count, scale: dout[0])
            }
            label.node?.receive {
                mseLossBackward(dpred: $0, pred: pred.storage.pointer, label: label.storage.pointer,
                                count: count, scale: -dout[0])
            }
        }
    }
}
