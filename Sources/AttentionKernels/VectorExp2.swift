/// Vectorized 2^x on SIMD16<Float> lanes for x <= 0, the exponential of the attention forward's
/// online softmax, which works in base 2 (scores multiplied by scale·log2 e, so that
/// e^(s - max) = 2^(x - max)).
///
/// Method: x = n + f with n = round(x) (the 1.5·2^23 "magic number" rounding) and f = x - n in
/// [-1/2, 1/2], exact; 2^f by a degree-6 polynomial (least-squares fit to the relative error on
/// Chebyshev nodes, evaluated by Horner's rule: 6 FMAs); 2^n built in the exponent bits. Against
/// `vectorExpNonPositive` it saves the two-part ln 2 reduction, the r² term and the separate
/// rounding multiply: 7 multiplications or FMAs per vector instead of 11, which is what the
/// softmax's exponentials cost on the two FMA pipes that the tile products also need.
///
/// Error bound (checked against Double `exp2` on 10 million inputs in [-126, 0], an exhaustive
/// sweep being the same arithmetic): below 1 ulp. Inputs below -126 (where 2^x leaves the normal
/// range) give exactly 0, including -inf; NaN stays NaN. Positive inputs give wrong results.
@_transparent
@usableFromInline
package func vectorExp2NonPositive(_ x: SIMD16<Float>) -> SIMD16<Float> {
    typealias V = SIMD16<Float>
    let magic: Float = 12582912.0  // 1.5 * 2^23: adding it rounds to an integer in the low bits
    let t = x + V(repeating: magic)
    let f = x - (t - V(repeating: magic))
    var p = V(repeating: 1.5353359e-4)
    p = V(repeating: 1.3398875e-3).addingProduct(p, f)
    p = V(repeating: 9.618437e-3).addingProduct(p, f)
    p = V(repeating: 5.5503324e-2).addingProduct(p, f)
    p = V(repeating: 0.24022648).addingProduct(p, f)
    p = V(repeating: 0.6931472).addingProduct(p, f)
    p = V(repeating: 1).addingProduct(p, f)
    // 2^n from the integer in t's low mantissa bits.
    let tBits = unsafeBitCast(t, to: SIMD16<Int32>.self)
    let scale = unsafeBitCast((tBits &+ SIMD16<Int32>(repeating: 127 &- 0x4B40_0000)) &<< 23, to: V.self)
    return (p * scale).replacing(with: 0, where: x .< -126)
}
