import Foundation

// AdamW (Loshchilov & Hutter): Adam with decoupled weight decay, as in PyTorch's torch.optim.AdamW.
// Shapes: params, grads, m, v (count).

/// One AdamW step on `count` values, in place on `params`, `m` (first moment) and `v` (second
/// moment), with the gradient g = gradientScale · grads (gradient clipping folded into the
/// update, so that the gradients are not rewritten in a pass of their own):
///
///     m = β1·m + (1 − β1)·g
///     v = β2·v + (1 − β2)·g²
///     p = p − lr·( (m / (1 − β1^step)) / (sqrt(v / (1 − β2^step)) + eps) + weightDecay·p )
///
/// `step` is the 1-based number of this update (bias correction). The square root is computed
/// with a reciprocal-square-root bit trick refined by three Newton steps (the standard
/// library's SIMD `squareRoot()` is scalar code): relative error ≤ 3e-7. Elementwise and
/// deterministic for any thread count.
package func adamwUpdate(params: UnsafeMutablePointer<Float>, grads: UnsafePointer<Float>,
                        m: UnsafeMutablePointer<Float>, v: UnsafeMutablePointer<Float>, count: Int,
                        learningRate: Float, beta1: Float, beta2: Float, eps: Float,
                        weightDecay: Float, step: Int, gradientScale: Float = 1) {
    let t = Double(max(step, 1))
    let scale = SIMD16<Float>(repeating: gradientScale)
    let b1 = SIMD16<Float>(repeating: beta1), b2 = SIMD16<Float>(repeating: beta2)
    let oneMinusB1 = SIMD16<Float>(repeating: 1 - beta1), oneMinusB2 = SIMD16<Float>(repeating: 1 - beta2)
    // Bias corrections in Double: 1 − β^t loses digits in Float when β is close to 1.
    let mScale = SIMD16<Float>(repeating: Float(1 / (1 - Foundation.pow(Double(beta1), t))))
    let vScale = SIMD16<Float>(repeating: Float(1 / (1 - Foundation.pow(Double(beta2), t))))
    let lr = SIMD16<Float>(repeating: learningRate), decay = SIMD16<Float>(repeating: weightDecay)
    let epsilon = SIMD16<Float>(repeating: eps)
    forEachBlock16(count: count) { offset, n in
        let g = loadPartial16(grads + offset, count: n, fill: 0) * scale
        let p = loadPartial16(params + offset, count: n, fill: 0)
        let newM = (oneMinusB1 * g).addingProduct(b1, loadPartial16(m + offset, count: n, fill: 0))
        let newV = (oneMinusB2 * g * g).addingProduct(b2, loadPartial16(v + offset, count: n, fill: 0))
        let mHat = newM * mScale, vHat = newV * vScale
        let update = (mHat / (squareRoot16(vHat) + epsilon)).addingProduct(decay, p)
        storePartial16(newM, m + offset, count: n)
        storePartial16(newV, v + offset, count: n)
        storePartial16(p.addingProduct(-lr, update), params + offset, count: n)
    }
}

/// √x for x >= 0 (0 gives 0, +inf gives +inf): x · rsqrt(x), with rsqrt from the 0x5f3759df
/// estimate and three Newton steps y ← y·(1.5 − 0.5·x·y²).
@_transparent
private func squareRoot16(_ x: SIMD16<Float>) -> SIMD16<Float> {
    let bits = unsafeBitCast(x, to: SIMD16<Int32>.self)
    var y = unsafeBitCast(SIMD16<Int32>(repeating: 0x5f37_59df) &- (bits &>> 1), to: SIMD16<Float>.self)
    let half = 0.5 * x
    for _ in 0..<3 { y = y * (1.5 - half * y * y) }
    return (x * y).replacing(with: x, where: x .== 0 .| x .== .infinity)
}

/// Reference for `adamwUpdate`: the same formulas in Double with `sqrt`.
package func adamwUpdateNaive(params: UnsafeMutablePointer<Float>, grads: UnsafePointer<Float>,
                             m: UnsafeMutablePointer<Float>, v: UnsafeMutablePointer<Float>, count: Int,
                             learningRate: Float, beta1: Float, beta2: Float, eps: Float,
                             weightDecay: Float, step: Int, gradientScale: Float = 1) {
    let t = Double(max(step, 1))
    let b1 = Double(beta1), b2 = Double(beta2)
    for i in 0..<max(count, 0) {
        let g = Double(grads[i]) * Double(gradientScale), p = Double(params[i])
        let newM = b1 * Double(m[i]) + (1 - b1) * g
        let newV = b2 * Double(v[i]) + (1 - b2) * g * g
        let mHat = newM / (1 - Foundation.pow(b1, t)), vHat = newV / (1 - Foundation.pow(b2, t))
        m[i] = Float(newM)
        v[i] = Float(newV)
        params[i] = Float(p - Double(learningRate) * (mHat / (vHat.squareRoot() + Double(eps))
                                                       + Double(weightDecay) * p))
    }
}
