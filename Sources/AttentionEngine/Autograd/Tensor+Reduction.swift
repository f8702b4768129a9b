/// Reductions to a scalar, with their backward passes.
extension Tensor {
    /// Σ of all elements, as a scalar tensor (summed in a fixed order: same bits on any thread count).
    public func sum() -> Tensor {
        let input = self
        let out = Tensor(vectorSum(input.storage.pointer, count: input.count))
        return Tensor.record(out, op: "sum", inputs: [input]) { dout in
            input.node?.receive { $0.initialize(repeating: dout[0], count: input.count) }
        }
    }

    /// Mean of all elements, as a scalar tensor (0 elements give NaN, as in PyTorch).
    public func mean() -> Tensor {
        sum() * (1 / Float(count))
    }
}
