/// L1 loss kernels: mean |pred − label| and its gradient. pred, label, dpred (count).

/// Returns Σ|pred[i] − label[i]| / count, summed in a fixed order. pred, label (count).
package func l1LossForward(pred: UnsafePointer<Float>, label: UnsafePointer<Float>, count: Int) -> Float {
    let total = fixedOrderSum(count: count) { i, n in
        let d = loadPartial16(pred + i, count: n, fill: 0) - loadPartial16(label + i, count: n, fill: 0)
        return d.replacing(with: -d, where: d .< 0)
    }
    return Float(total / Double(count))
}

/// dpred (count) = scale · sign(pred − label) / count (overwrites; sign(0) = 0, like PyTorch).
/// `scale` is d(loss)/d(mean), 1 for a plain loss.
package func l1LossBackward(dpred: UnsafeMutablePointer<Float>, pred: UnsafePointer<Float>,
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
package func l1LossForwardNaive(pred: UnsafePointer<Float>, label: UnsafePointer<Float>, count: Int) -> Double {
    (0..<count).reduce(0.0) { $0 + abs(Double(pred[$1]) - Double(label[$1])) } / Double(count)
}

/// Reference for `l1LossBackward`, in Double: dpred = scale · sign(pred − label) / count.
package func l1LossBackwardNaive(dpred: UnsafeMutablePointer<Float>, pred: UnsafePointer<Float>,
                                 label: UnsafePointer<Float>, count: Int, scale: Float) {
    for i in 0..<count {
        let d = Double(pred[i]) - Double(label[i])
        dpred[i] = Float(Double(scale) * Double(d > 0 ? 1 : d < 0 ? -1 : 0) / Double(count))
    }
}
