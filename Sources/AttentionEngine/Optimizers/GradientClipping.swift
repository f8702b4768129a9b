/// Global gradient-norm clipping (like `torch.nn.utils.clip_grad_norm_`).

/// Scales all gradients by maxNorm / ‖g‖ when the global L2 norm ‖g‖ of the gradients of
/// `parameters` exceeds `maxNorm`, and returns ‖g‖ before clipping. The norm is accumulated in
/// Double, parameter by parameter in order, so it is the same on any thread count. Throws for a
/// non-positive `maxNorm`.
@discardableResult
public func clipGradientNorm(_ parameters: [Parameter], maxNorm: Float) throws -> Float {
    guard maxNorm > 0 else { throw AttentionError.invalid("clipGradientNorm: maxNorm \(maxNorm) must be > 0") }
    var squares: Double = 0
    for parameter in parameters {
        guard let grad = parameter.value.node?.grad else { continue }
        squares += sumOfSquares(grad, count: parameter.value.count)
    }
    let norm = Float(squares.squareRoot())
    if norm > maxNorm {
        let scale = maxNorm / (norm + 1e-6)
        for parameter in parameters {
            guard let grad = parameter.value.node?.grad else { continue }
            vectorAffine(out: grad, x: grad, alpha: scale, beta: 0, count: parameter.value.count)
        }
    }
    return norm
}

/// Σ x² in a fixed order (SIMD16 partial sums flushed to Double every 4096 elements).
func sumOfSquares(_ x: UnsafePointer<Float>, count: Int) -> Double {
    var acc = SIMD16<Float>()
    var total: Double = 0
    var i = 0
    while i + 16 <= count {
        let v = load(x, i)
        acc = acc.addingProduct(v, v)
        i += 16
        if i % 4096 == 0 { total += Double(acc.sum()); acc = SIMD16<Float>() }
    }
    total += Double(acc.sum())
    while i < count { total += Double(x[i] * x[i]); i += 1 }
    return total
}
