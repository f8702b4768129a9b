/// Mean squared error: mean (pred − label)² over all elements.

/// Returns Σ(pred[i] − label[i])² / count, summed in a fixed order. pred, label (count).
public func mseLossForward(pred: UnsafePointer<Float>, label: UnsafePointer<Float>, count: Int) -> Float {
    var acc = SIMD16<Float>()
    var total: Double = 0
    var i = 0
    while i + 16 <= count {
        let d = load(pred, i) - load(label, i)
        acc = acc.addingProduct(d, d)
        i += 16
        if i % 4096 == 0 { total += Double(acc.sum()); acc = SIMD16<Float>() }
    }
    total += Double(acc.sum())
    while i < count { let d = pred[i] - label[i]; total += Double(d * d); i += 1 }
    return Float(total / Double(count))
}

/// dpred (count) = scale · 2 (pred − label) / count (overwrites). `scale` is d(loss)/d(mean).
public func mseLossBackward(dpred: UnsafeMutablePointer<Float>, pred: UnsafePointer<Float>,
                            label: UnsafePointer<Float>, count: Int, scale: Float) {
    let g = 2 * scale / Float(count)
    let vg = SIMD16<Float>(repeating: g)
    forEachLane(count: count, { i in store(vg * (load(pred, i) - load(label, i)), dpred, i) },
                { i in dpred[i] = g * (pred[i] - label[i]) })
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
