import Foundation

// ReLU, tanh and sigmoid, elementwise over `count` values (SIMD16 blocks, parallel chunks; see
// `forEachBlock16`). Forward passes may run in place (out == inp); backward passes overwrite
// dinp and may alias dout.

/// out = max(inp, 0). NaN stays NaN.
package func reluForward(out: UnsafeMutablePointer<Float>, inp: UnsafePointer<Float>, count: Int) {
    forEachBlock16(count: count) { offset, n in
        let x = loadPartial16(inp + offset, count: n, fill: 0)
        storePartial16(x.replacing(with: 0, where: x .< 0), out + offset, count: n)
    }
}

/// dinp = dout where inp > 0, else 0.
package func reluBackward(dinp: UnsafeMutablePointer<Float>, dout: UnsafePointer<Float>,
                         inp: UnsafePointer<Float>, count: Int) {
    forEachBlock16(count: count) { offset, n in
        let x = loadPartial16(inp + offset, count: n, fill: 0)
        let d = loadPartial16(dout + offset, count: n, fill: 0)
        storePartial16(d.replacing(with: 0, where: .!(x .> 0)), dinp + offset, count: n)
    }
}

/// tanh over SIMD lanes: Cephes `tanhf` — an odd polynomial x + x³·P(x²) for |x| < 0.625 and
/// (1 − e)/(1 + e) with e = e^(−2|x|) beyond, so neither branch cancels. ±inf give ±1.
@_transparent
private func vectorTanh(_ x: SIMD16<Float>) -> SIMD16<Float> {
    let a = x.replacing(with: -x, where: x .< 0)
    let e = vectorExpNonPositive(-2 * a)
    var large = (1 - e) / (1 + e)
    large = large.replacing(with: -large, where: x .< 0)
    let x2 = x * x
    var p = SIMD16<Float>(repeating: 2.06390887954e-2).addingProduct(x2, SIMD16<Float>(repeating: -5.70498872745e-3))
    p = SIMD16<Float>(repeating: -5.37397155531e-2).addingProduct(p, x2)
    p = SIMD16<Float>(repeating: 1.33314422036e-1).addingProduct(p, x2)
    p = SIMD16<Float>(repeating: -3.33332819422e-1).addingProduct(p, x2)
    let small = x.addingProduct(p * x2, x)
    return large.replacing(with: small, where: a .< 0.625)
}

/// out = tanh(inp). Error ≤ 3 ulp (tested against Double `tanh`).
package func tanhForward(out: UnsafeMutablePointer<Float>, inp: UnsafePointer<Float>, count: Int) {
    forEachBlock16(count: count) { offset, n in
        storePartial16(vectorTanh(loadPartial16(inp + offset, count: n, fill: 0)), out + offset, count: n)
    }
}

/// dinp = dout · (1 − out²), from the forward output `out`.
package func tanhBackward(dinp: UnsafeMutablePointer<Float>, dout: UnsafePointer<Float>,
                         out: UnsafePointer<Float>, count: Int) {
    forEachBlock16(count: count) { offset, n in
        let y = loadPartial16(out + offset, count: n, fill: 0)
        let d = loadPartial16(dout + offset, count: n, fill: 0)
        storePartial16(d * (1 - y * y), dinp + offset, count: n)
    }
}

/// out = 1 / (1 + e^(−inp)), computed as 1/(1 + e) for inp ≥ 0 and e/(1 + e) for inp < 0 with
/// e = e^(−|inp|) ≤ 1 (the cheaper exp for non-positive arguments). Error ≤ 3 ulp (exp's 2 ulp,
/// one addition, one division); −inf gives 0 and +inf gives 1.
package func sigmoidForward(out: UnsafeMutablePointer<Float>, inp: UnsafePointer<Float>, count: Int) {
    forEachBlock16(count: count) { offset, n in
        let x = loadPartial16(inp + offset, count: n, fill: 0)
        let negative = x .< 0
        let e = vectorExpNonPositive(x.replacing(with: -x, where: .!negative))
        storePartial16(SIMD16<Float>(repeating: 1).replacing(with: e, where: negative) / (1 + e),
                       out + offset, count: n)
    }
}

/// dinp = dout · out · (1 − out), from the forward output `out`.
package func sigmoidBackward(dinp: UnsafeMutablePointer<Float>, dout: UnsafePointer<Float>,
                            out: UnsafePointer<Float>, count: Int) {
    forEachBlock16(count: count) { offset, n in
        let y = loadPartial16(out + offset, count: n, fill: 0)
        let d = loadPartial16(dout + offset, count: n, fill: 0)
        storePartial16(d * y * (1 - y), dinp + offset, count: n)
    }
}

/// Reference for `reluForward`.
package func reluForwardNaive(out: UnsafeMutablePointer<Float>, inp: UnsafePointer<Float>, count: Int) {
    for i in 0..<max(count, 0) { out[i] = inp[i] < 0 ? 0 : inp[i] }
}

/// Reference for `reluBackward`.
package func reluBackwardNaive(dinp: UnsafeMutablePointer<Float>, dout: UnsafePointer<Float>,
                              inp: UnsafePointer<Float>, count: Int) {
    for i in 0..<max(count, 0) { dinp[i] = inp[i] > 0 ? dout[i] : 0 }
}

/// Reference for `tanhForward`: Double `tanh`.
package func tanhForwardNaive(out: UnsafeMutablePointer<Float>, inp: UnsafePointer<Float>, count: Int) {
    for i in 0..<max(count, 0) { out[i] = Float(Foundation.tanh(Double(inp[i]))) }
}

/// Reference for `tanhBackward`, in Double.
package func tanhBackwardNaive(dinp: UnsafeMutablePointer<Float>, dout: UnsafePointer<Float>,
                              out: UnsafePointer<Float>, count: Int) {
    for i in 0..<max(count, 0) {
        let y = Double(out[i])
        dinp[i] = Float(Double(dout[i]) * (1 - y * y))
    }
}

/// Reference for `sigmoidForward`: Double `exp`.
package func sigmoidForwardNaive(out: UnsafeMutablePointer<Float>, inp: UnsafePointer<Float>, count: Int) {
    for i in 0..<max(count, 0) { out[i] = Float(1 / (1 + Foundation.exp(-Double(inp[i])))) }
}

/// Reference for `sigmoidBackward`, in Double.
package func sigmoidBackwardNaive(dinp: UnsafeMutablePointer<Float>, dout: UnsafePointer<Float>,
                                 out: UnsafePointer<Float>, count: Int) {
    for i in 0..<max(count, 0) {
        let y = Double(out[i])
        dinp[i] = Float(Double(dout[i]) * y * (1 - y))
    }
}
