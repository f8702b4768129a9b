// The SGD update on raw buffers, used by the `SGD` optimizer (Optimizers/SGD.swift).

/// One SGD step on raw buffers, per element (bitwise identical for any thread count):
///
///     g = grad + weightDecay · param
///     v = firstStep ? g : momentum · v + g          (when velocity is given)
///     g = nesterov ? g + momentum · v : v
///     param -= learningRate · g
///
/// params, grads, velocity (count); velocity may be nil when momentum is 0.
package func sgdUpdate(params: UnsafeMutablePointer<Float>, grads: UnsafePointer<Float>,
                      velocity: UnsafeMutablePointer<Float>?, count: Int, learningRate: Float,
                      momentum: Float, nesterov: Bool, weightDecay: Float, firstStep: Bool) {
    let lr = SIMD16<Float>(repeating: -learningRate), wd = SIMD16<Float>(repeating: weightDecay)
    let mu = SIMD16<Float>(repeating: momentum)
    forEachBlock16(count: count) { i, n in
        let p = loadPartial16(params + i, count: n, fill: 0)
        var g = loadPartial16(grads + i, count: n, fill: 0).addingProduct(wd, p)
        if let velocity {
            let v = firstStep ? g : g.addingProduct(mu, loadPartial16(velocity + i, count: n, fill: 0))
            storePartial16(v, velocity + i, count: n)
            g = nesterov ? g.addingProduct(mu, v) : v
        }
        storePartial16(p.addingProduct(lr, g), params + i, count: n)
    }
}

/// Reference for `sgdUpdate`: the same update element by element, in Double.
package func sgdUpdateNaive(params: UnsafeMutablePointer<Float>, grads: UnsafePointer<Float>,
                            velocity: UnsafeMutablePointer<Float>?, count: Int, learningRate: Float,
                            momentum: Float, nesterov: Bool, weightDecay: Float, firstStep: Bool) {
    for i in 0..<count {
        var g = Double(grads[i]) + Double(weightDecay) * Double(params[i])
        if let velocity {
            let v = firstStep ? g : Double(momentum) * Double(velocity[i]) + g
            velocity[i] = Float(v)
            g = nesterov ? g + Double(momentum) * v : v
        }
        params[i] = Float(Double(params[i]) - Double(learningRate) * g)
    }
}
