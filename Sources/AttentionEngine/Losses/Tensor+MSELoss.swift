/// The MSE loss op: mean (pred − label)² over all elements (kernels in Kernels/MSELoss.swift).
extension Tensor {
    /// Mean squared error, mean (self − label)², as a scalar; `label` must have the same shape.
    /// Gradients flow to both operands.
    public func mseLoss(_ label: Tensor) throws -> Tensor {
        try elementwiseLoss(label, name: "MSE loss",
                            forward: { mseLossForward(pred: $0, label: $1, count: $2) },
                            backward: { mseLossBackward(dpred: $0, pred: $1, label: $2, count: $3, scale: $4) })
    }
}
