/// L1 loss: mean |pred − label| over all elements.

/// Returns Σ|pred[i] − label[i]| / count, summed in a fixed order. pred, label (count).
public func l1LossForward(pred: UnsafePointer<Float>, label: UnsafePointer<Float>, count: Int) -> Float {
    let total = fixedOrderSum(count: count) { i, n in
        let d = loadPartial16(pred + i, count: n, fill: 0) - loadPartial16(label + i, count: n, fill: 0)
        return d.replacing(with: -d, where: d .< 0)
    }
    return Float(total / Double(count))
}

/// dpred (count) = scale · sign(pred − label) / count (overwrites; sign(0) = 0, like PyTorch).
/// `scale` is d(loss)/d(mean), 1 for a plain loss.
public func l1LossBackward(dpred: UnsafeMutablePointer<Float>, pred: UnsafePointer<Float>,
                           label: UnsafePointer<Float>, count: Int, scale: Float) {
    let g = scale / Float(count)
    let positive = SIMD16<Float>(repeating: g), negative = SIMD16<Float>(repeating: -g)
    forEachBlock16(count: count) { i, n in
        let d = loadPartial16(pred + i, count: n, fill: 0) - loadPartial16(label + i, count: n, fill: 0)
        let sign = SIMD16<Float>().replacing(with: positive, where: d .> 0).replacing(with: negative, where: d .< 0)
        storePartial16(sign, dpred + i, count: n)
    }
}

/// Reference for `l1LossForward`, in Double.
public func l1LossForwardNaive(pred: UnsafePointer<Float>, label: UnsafePointer<Float>, count: Int) -> Double {
    (0..<count).reduce(0.0) { $0 + abs(Double(pred[$1]) - Double(label[$1])) } / Double(count)
}

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
