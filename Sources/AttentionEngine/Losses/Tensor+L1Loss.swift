/// The L1 loss op: mean |pred − label| over all elements (kernels in Kernels/L1Loss.swift).
extension Tensor {
    /// L1 loss, mean |self − label|, as a scalar; `label` must have the same shape. Gradients
    /// flow to both operands.
    public func l1Loss(_ label: Tensor) throws -> Tensor {
        guard shape == label.shape else {
            throw AttentionError.shape("L1 loss: prediction \(shape) and label \(label.shape) differ")
        }
        let pred = self, count = self.count
        let out = Tensor(l1LossForward(pred: pred.storage.pointer, label: label.storage.pointer, count: count))
        return Tensor.record(out, inputs: [pred, label]) { dout in
            pred.node?.receive {
                l1LossBackward(dpred: $0, pred: pred.storage.pointer, label: label.storage.pointer,
                               count: count, scale: dout[0])
            }
            label.node?.receive {
                l1LossBackward(dpred: $0, pred: pred.storage.pointer, label: label.storage.pointer,
                               count: count, scale: -dout[0])
            }
        }
    }
}
