/// Vectorized e^x on SIMD16<Float> lanes, used by softmax, attention, cross-entropy, GELU, erf,
/// sigmoid and tanh.
///
/// Method (Cephes `expf`): x = n·ln2 + r with n = round(x·log2 e) and |r| <= ln2/2, with ln2
/// split into a high and a low part so that r is exact; e^r = 1 + r + r²·P(r) with a degree-5
/// minimax polynomial; 2^n is built directly in the exponent bits. Rounding uses the
/// 1.5·2^23 "magic number" trick because the standard library's float→int lane conversion
/// is scalar.
///
/// Error bound (tested against Double `exp` over [-87, 88.5]): at most 2 ulp relative error.
/// Inputs below -87.33 (where e^x leaves the normal range) give exactly 0, including -inf;
/// inputs above 88.72 give +inf. NaN inputs give NaN.
///
/// Written on the concrete SIMD16<Float>, not generically: inside a generic body `.<`, `.>` and
/// `.!=` resolve to the SIMD protocol extension, which builds masks lane by lane (measured ~40×
/// slower). `@_transparent` rather than `@inline(__always)`: the latter was not honoured inside
/// large kernel bodies, which left a call per vector with the lanes spilled across it.
@_transparent
@usableFromInline
package func vectorExp(_ x: SIMD16<Float>) -> SIMD16<Float> {
    typealias V = SIMD16<Float>
    let log2e: Float = 1.44269504088896341
    let magic: Float = 12582912.0  // 1.5 * 2^23: adding it rounds to an integer in the low bits
    let ln2Hi: Float = 0.693359375
    let ln2Lo: Float = -2.12194440e-4
    let upper: Float = 88.7228394
    let lower: Float = -87.3365479

    let clamped = x.replacing(with: upper, where: x .> upper).replacing(with: lower, where: x .< lower)
    let t = V(repeating: magic).addingProduct(clamped, V(repeating: log2e))
    var n = t - V(repeating: magic)
    var r = clamped.addingProduct(n, V(repeating: -ln2Hi))
    r = r.addingProduct(n, V(repeating: -ln2Lo))

    var p = V(repeating: 1.3981999507e-3).addingProduct(V(repeating: 1.9875691500e-4), r)
    p = V(repeating: 8.3334519073e-3).addingProduct(p, r)
    p = V(repeating: 4.1665795894e-2).addingProduct(p, r)
    p = V(repeating: 1.6666665459e-1).addingProduct(p, r)
    p = V(repeating: 5.0000001201e-1).addingProduct(p, r)
    let r2 = r * r
    var er = (r + V(repeating: 1)).addingProduct(p, r2)
    let topBinade = n .> 127
    n = n.replacing(with: n - 1, where: topBinade)
    er = er.replacing(with: er + er, where: topBinade)

    let tBits = unsafeBitCast(n + V(repeating: magic), to: SIMD16<Int32>.self)
    let scale = unsafeBitCast((tBits &+ SIMD16<Int32>(repeating: 127 &- 0x4B40_0000)) &<< 23, to: V.self)
    var result = er * scale
    result = result.replacing(with: 0, where: x .< lower)
    result = result.replacing(with: .infinity, where: x .> upper)
    result = result.replacing(with: x, where: x .!= x)
    return result
}

/// e^x for x <= 0 (or NaN), as in softmax after subtracting the row maximum: bitwise equal to
/// `vectorExp` there, without the work that only large positive inputs need (upper clamp,
/// the 2^128 binade, +inf) and without clamping below (lanes under -87.34, -inf included,
/// compute garbage that the final select replaces by 0); about 25 % fewer instructions.
/// NaN stays NaN. Positive inputs give wrong results.
@_transparent
@usableFromInline
package func vectorExpNonPositive(_ x: SIMD16<Float>) -> SIMD16<Float> {
    typealias V = SIMD16<Float>
    let magic: Float = 12582912.0
    let lower: Float = -87.3365479
    let t = V(repeating: magic).addingProduct(x, V(repeating: 1.44269504088896341))
    let n = t - V(repeating: magic)
    var r = x.addingProduct(n, V(repeating: -0.693359375))
    r = r.addingProduct(n, V(repeating: 2.12194440e-4))
    var p = V(repeating: 1.3981999507e-3).addingProduct(V(repeating: 1.9875691500e-4), r)
    p = V(repeating: 8.3334519073e-3).addingProduct(p, r)
    p = V(repeating: 4.1665795894e-2).addingProduct(p, r)
    p = V(repeating: 1.6666665459e-1).addingProduct(p, r)
    p = V(repeating: 5.0000001201e-1).addingProduct(p, r)
    let er = (r + V(repeating: 1)).addingProduct(p, r * r)
    // 2^n from the integer in t's low mantissa bits (t itself: n + magic == t exactly here).
    let tBits = unsafeBitCast(t, to: SIMD16<Int32>.self)
    let scale = unsafeBitCast((tBits &+ SIMD16<Int32>(repeating: 127 &- 0x4B40_0000)) &<< 23, to: V.self)
    return (er * scale).replacing(with: 0, where: x .< lower)
}

/// Scalar e^x with the same method and error bound as `vectorExp`, for loop tails.
@_transparent
@usableFromInline
package func scalarExp(_ x: Float) -> Float {
    vectorExp(SIMD16<Float>(repeating: x))[0]
}
