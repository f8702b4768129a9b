/// The L1 loss op: mean |pred − label| over all elements (kernels in Kernels/L1Loss.swift).
extension Tensor {
    /// L1 loss, mean |self − label|, as a scalar; `label` must have the same shape. Gradients
    /// flow to both operands.
    public func l1Loss(_ label: Tensor) throws -> Tensor {
        try elementwiseLoss(label, name: "L1 loss",
                            forward: { l1LossForward(pred: $0, label: $1, count: $2) },
                            backward: { l1LossBackward(dpred: $0, pred: $1, label: $2, count: $3, scale: $4) })
    }
}
