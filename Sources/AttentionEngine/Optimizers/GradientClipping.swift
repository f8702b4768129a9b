/// Global gradient-norm clipping (like `torch.nn.utils.clip_grad_norm_`).

/// The global L2 norm ‖g‖ of the gradients of `parameters` and the factor that clips it to
/// `maxNorm`: maxNorm / (‖g‖ + 1e-6) when ‖g‖ > maxNorm, else 1. The norm is accumulated in
/// Double, parameter by parameter in order, so it is the same on any thread count. An optimizer
/// can apply the factor during its update (`Adam.step(gradientScale:)`) instead of rewriting the
/// gradients. Throws for a non-positive `maxNorm`.
public func gradientClipScale(_ parameters: [Parameter], maxNorm: Float) throws -> (norm: Float, scale: Float) {
    guard maxNorm > 0 else { throw AttentionError.invalid("gradient clipping: maxNorm \(maxNorm) must be > 0") }
    var squares: Double = 0
    for parameter in parameters {
        guard let grad = parameter.value.node?.grad else { continue }
        squares += sumOfSquares(grad, count: parameter.value.count)
    }
    let norm = Float(squares.squareRoot())
    return (norm, norm > maxNorm ? maxNorm / (norm + 1e-6) : 1)
}

/// Scales all gradients by maxNorm / ‖g‖ when the global L2 norm ‖g‖ of the gradients of
/// `parameters` exceeds `maxNorm`, and returns ‖g‖ before clipping (see `gradientClipScale`).
/// Throws for a non-positive `maxNorm`.
@discardableResult
public func clipGradientNorm(_ parameters: [Parameter], maxNorm: Float) throws -> Float {
    let (norm, scale) = try gradientClipScale(parameters, maxNorm: maxNorm)
    if scale != 1 {
        for parameter in parameters {
            guard let grad = parameter.value.node?.grad else { continue }
            vectorAffine(out: grad, x: grad, alpha: scale, beta: 0, count: parameter.value.count)
        }
    }
    return norm
}

/// Σ x² in a fixed order: the same bits on any thread count, and the bits of one serial
/// `fixedOrderSum` over all of x. Threads take blocks of 4,096 elements, the interval at which
/// `fixedOrderSum` flushes its Float lanes into its Double total, so each block's partial sum is
/// the term the serial loop would add there; the partials are then added in order.
package func sumOfSquares(_ x: UnsafePointer<Float>, count: Int) -> Double {
    let block = 4096
    let blocks = (count + block - 1) / block
    func squares(_ start: Int, _ length: Int) -> Double {
        fixedOrderSum(count: length) { i, n in
            let v = loadPartial16(x + start + i, count: n, fill: 0)
            return v * v
        }
    }
    guard blocks > 1 else { return squares(0, count) }
    return withUnsafeTemporaryAllocation(of: Double.self, capacity: blocks) { partials in
        // ~16 blocks (64 K elements, ~15 µs) per chunk at least: a parallel region costs ~1 µs.
        Parallel.forEachChunk(blocks, grain: 16) { range in
            for b in range { partials[b] = squares(b * block, min(block, count - b * block)) }
        }
        var total: Double = 0
        for b in 0..<blocks { total += partials[b] }
        return total
    }
}
