/// Mean-squared-error kernels: mean (pred − label)² and its gradient. pred, label, dpred (count).

/// Returns Σ(pred[i] − label[i])² / count, summed in a fixed order. pred, label (count).
package func mseLossForward(pred: UnsafePointer<Float>, label: UnsafePointer<Float>, count: Int) -> Float {
    let total = fixedOrderSum(count: count) { i, n in
        let d = loadPartial16(pred + i, count: n, fill: 0) - loadPartial16(label + i, count: n, fill: 0)
        return d * d
    }
    return Float(total / Double(count))
}

/// dpred (count) = scale · 2 (pred − label) / count (overwrites). `scale` is d(loss)/d(mean).
package func mseLossBackward(dpred: UnsafeMutablePointer<Float>, pred: UnsafePointer<Float>,
                            label: UnsafePointer<Float>, count: Int, scale: Float) {
    let g = SIMD16<Float>(repeating: 2 * scale / Float(count))
    forEachBlock16(count: count) { i, n in
        let d = loadPartial16(pred + i, count: n, fill: 0) - loadPartial16(label + i, count: n, fill: 0)
        storePartial16(g * d, dpred + i, count: n)
    }
}

/// Reference for `mseLossForward`, in Double.
package func mseLossForwardNaive(pred: UnsafePointer<Float>, label: UnsafePointer<Float>, count: Int) -> Double {
    (0..<count).reduce(0.0) {
        let d = Double(pred[$1]) - Double(label[$1])
        return $0 + d * d
    } / Double(count)
}

/// Reference for `mseLossBackward`, in Double: dpred = scale · 2 (pred − label) / count.
package func mseLossBackwardNaive(dpred: UnsafeMutablePointer<Float>, pred: UnsafePointer<Float>,
                                  label: UnsafePointer<Float>, count: Int, scale: Float) {
    for i in 0..<count {
        dpred[i] = Float(Double(scale) * 2 * (Double(pred[i]) - Double(label[i])) / Double(count))
    }
}
