/// Mean squared error: mean (pred − label)² over all elements.

/// Returns Σ(pred[i] − label[i])² / count, summed in a fixed order. pred, label (count).
public func mseLossForward(pred: UnsafePointer<Float>, label: UnsafePointer<Float>, count: Int) -> Float {
    let total = fixedOrderSum(count: count) { i, n in
        let d = loadPartial16(pred + i, count: n, fill: 0) - loadPartial16(label + i, count: n, fill: 0)
        return d * d
    }
    return Float(total / Double(count))
}

/// dpred (count) = scale · 2 (pred − label) / count (overwrites). `scale` is d(loss)/d(mean).
public func mseLossBackward(dpred: UnsafeMutablePointer<Float>, pred: UnsafePointer<Float>,
                            label: UnsafePointer<Float>, count: Int, scale: Float) {
    let g = SIMD16<Float>(repeating: 2 * scale / Float(count))
    forEachBlock16(count: count) { i, n in
        let d = loadPartial16(pred + i, count: n, fill: 0) - loadPartial16(label + i, count: n, fill: 0)
        storePartial16(g * d, dpred + i, count: n)
    }
}

/// Reference for `mseLossForward`, in Double.
public func mseLossForwardNaive(pred: UnsafePointer<Float>, label: UnsafePointer<Float>, count: Int) -> Double {
    (0..<count).reduce(0.0) {
        let d = Double(pred[$1]) - Double(label[$1])
        return $0 + d * d
    } / Double(count)
}

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
