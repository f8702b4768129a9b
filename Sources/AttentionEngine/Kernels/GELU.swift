import Foundation

// GELU activations, elementwise over `count` values: the tanh approximation (GPT-2, PyTorch's
// approximate="tanh") and the exact form 0.5·x·(1 + erf(x/√2)). Backward passes overwrite dinp.

/// √(2/π), the scale inside the tanh approximation.
private let geluScale: Float = 0.7978845608028654
/// The cubic coefficient of the tanh approximation.
private let geluCubic: Float = 0.044715

/// σ(2u) = 0.5·(1 + tanh(u)) for the tanh argument u = √(2/π)·(x + 0.044715·x³); then
/// gelu(x) = x·σ(2u) without cancellation. With e = e^(−2|u|) ≤ 1, σ(2u) = 1/(1 + e) for
/// u ≥ 0 and e/(1 + e) for u < 0: the exp argument is never positive (the cheaper exp).
@_transparent
private func geluTanhSigmoid(_ x: SIMD16<Float>) -> SIMD16<Float> {
    let u = x * SIMD16<Float>(repeating: geluScale)
        * SIMD16<Float>(repeating: 1).addingProduct(x * x, SIMD16<Float>(repeating: geluCubic))
    let twiceAbs = 2 * u.replacing(with: -u, where: u .< 0)
    let e = vectorExpNonPositive(-twiceAbs)
    return SIMD16<Float>(repeating: 1).replacing(with: e, where: u .< 0) / (1 + e)
}

/// Tanh-approximated GELU: out (count) = 0.5·inp·(1 + tanh(√(2/π)·(inp + 0.044715·inp³))).
/// `out` may alias `inp`. Relative error vs the same formula in Double (tested over [-12, 12]):
/// ≤ 3e-7 for x ≥ −1, 6e-7 for x ≥ −2, 2e-6 for x ≥ −4 and 1.2e-5 below, where the rounding
/// of the tanh argument u is amplified by |2u| while gelu → 0 (PyTorch's Float formula returns
/// 0 there). Results of magnitude below 2e-37 (x < −9.9) may be flushed to 0.
package func geluForward(out: UnsafeMutablePointer<Float>, inp: UnsafePointer<Float>, count: Int) {
    forEachBlock16(count: count) { offset, n in
        let x = loadPartial16(inp + offset, count: n, fill: 0)
        let s = geluTanhSigmoid(x)
        // s == 0 only far in the negative tail, where gelu is 0 (and −inf·0 would be NaN).
        storePartial16((x * s).replacing(with: 0, where: s .== 0), out + offset, count: n)
    }
}

/// Backward of `geluForward`: dinp = dout · gelu'(inp) with, for s = σ(2u),
/// gelu'(x) = s + 2·x·s·(1 − s)·√(2/π)·(1 + 3·0.044715·x²). `dinp` may alias `dout`.
package func geluBackward(dinp: UnsafeMutablePointer<Float>, dout: UnsafePointer<Float>,
                         inp: UnsafePointer<Float>, count: Int) {
    forEachBlock16(count: count) { offset, n in
        let x = loadPartial16(inp + offset, count: n, fill: 0)
        let s = geluTanhSigmoid(x)
        let du = SIMD16<Float>(repeating: geluScale)
            * SIMD16<Float>(repeating: 1).addingProduct(x * x, SIMD16<Float>(repeating: 3 * geluCubic))
        let ds = s * (1 - s)
        // Where σ saturates (ds == 0) the second term vanishes; skip it so that x·du = ±inf
        // for huge |x| cannot turn 0·inf into NaN.
        let derivative = s.addingProduct(2 * x * ds, du).replacing(with: s, where: ds .== 0)
        storePartial16(loadPartial16(dout + offset, count: n, fill: 0) * derivative, dinp + offset, count: n)
    }
}

/// Φ(x) = 0.5·erfc(−x/√2), the standard normal CDF, with small relative error on both sides.
@_transparent
private func normalCDF(_ x: SIMD16<Float>) -> SIMD16<Float> {
    0.5 * vectorErfc(x * SIMD16<Float>(repeating: -0.7071067811865476))
}

/// Exact GELU: out (count) = 0.5·inp·(1 + erf(inp/√2)) = inp·Φ(inp), with Φ from `vectorErfc`.
/// `out` may alias `inp`. Relative error vs Double (tested over [-12, 12]): ≤ 4e-7 for x ≥ 0,
/// 2e-6 for x ≥ −4 and 1.5e-5 below, from the rounding of x² inside erfc (see `vectorErfc`).
package func geluErfForward(out: UnsafeMutablePointer<Float>, inp: UnsafePointer<Float>, count: Int) {
    forEachBlock16(count: count) { offset, n in
        let x = loadPartial16(inp + offset, count: n, fill: 0)
        let cdf = normalCDF(x)
        storePartial16((x * cdf).replacing(with: 0, where: cdf .== 0), out + offset, count: n)
    }
}

/// Backward of `geluErfForward`: dinp = dout · (Φ(x) + x·φ(x)) with φ(x) = e^(−x²/2)/√(2π).
/// `dinp` may alias `dout`.
package func geluErfBackward(dinp: UnsafeMutablePointer<Float>, dout: UnsafePointer<Float>,
                            inp: UnsafePointer<Float>, count: Int) {
    forEachBlock16(count: count) { offset, n in
        let x = loadPartial16(inp + offset, count: n, fill: 0)
        let density = vectorExpNonPositive(-0.5 * x * x) * SIMD16<Float>(repeating: 0.3989422804014327)
        let cdf = normalCDF(x)
        let derivative = cdf.addingProduct(x, density).replacing(with: cdf, where: density .== 0)
        storePartial16(loadPartial16(dout + offset, count: n, fill: 0) * derivative, dinp + offset, count: n)
    }
}

/// Reference for `geluForward`, in Double. 0.5·(1 + tanh(u)) is written 1 / (1 + e^(−2u)):
/// the textbook form cancels to 0 (even in Double) once tanh(u) rounds to −1, near x = −6.
package func geluForwardNaive(out: UnsafeMutablePointer<Float>, inp: UnsafePointer<Float>, count: Int) {
    for i in 0..<max(count, 0) {
        let x = Double(inp[i])
        let u = Double(geluScale) * (x + Double(geluCubic) * x * x * x)
        out[i] = Float(x / (1 + Foundation.exp(-2 * u)))
    }
}

/// Reference for `geluBackward`: the derivative of the textbook formula, in Double.
package func geluBackwardNaive(dinp: UnsafeMutablePointer<Float>, dout: UnsafePointer<Float>,
                              inp: UnsafePointer<Float>, count: Int) {
    let a = Double(geluScale), b = Double(geluCubic)
    for i in 0..<max(count, 0) {
        let x = Double(inp[i])
        let s = 1 / (1 + Foundation.exp(-2 * a * (x + b * x * x * x)))  // 0.5·(1 + tanh(u))
        let derivative = s + 2 * x * s * (1 - s) * a * (1 + 3 * b * x * x)
        dinp[i] = Float(Double(dout[i]) * derivative)
    }
}

/// Reference for `geluErfForward`: 0.5·x·erfc(−x/√2) in Double.
package func geluErfForwardNaive(out: UnsafeMutablePointer<Float>, inp: UnsafePointer<Float>, count: Int) {
    for i in 0..<max(count, 0) {
        let x = Double(inp[i])
        out[i] = Float(0.5 * x * Foundation.erfc(-x / 2.0.squareRoot()))
    }
}

/// Reference for `geluErfBackward`: Φ(x) + x·φ(x) in Double.
package func geluErfBackwardNaive(dinp: UnsafeMutablePointer<Float>, dout: UnsafePointer<Float>,
                                 inp: UnsafePointer<Float>, count: Int) {
    for i in 0..<max(count, 0) {
        let x = Double(inp[i])
        let derivative = 0.5 * Foundation.erfc(-x / 2.0.squareRoot())
            + x * Foundation.exp(-0.5 * x * x) / (2 * Double.pi).squareRoot()
        dinp[i] = Float(Double(dout[i]) * derivative)
    }
}
