/// Vectorized e^x for SIMD lanes of Float, used by softmax, attention, GELU, sigmoid and tanh.
///
/// Method (Cephes `expf`): x = n·ln2 + r with n = round(x·log2 e) and |r| <= ln2/2, split ln2
/// into a high and a low part so that r is exact; e^r = 1 + r + r²·P(r) with a degree-5
/// minimax polynomial; 2^n is built directly in the exponent bits. Rounding uses the
/// 1.5·2^23 "magic number" trick because the standard library's float→int lane conversion
/// is scalar.
///
/// Error bound (tested against Double `exp` over [-87, 88]): at most 2 ulp relative error.
/// Inputs below -87.33 (where e^x leaves the normal range) give exactly 0, including -inf;
/// inputs above 88.72 give +inf. NaN inputs give NaN.
@inlinable @inline(__always)
public func vectorExp<V: SIMD>(_ x: V) -> V where V.Scalar == Float {
    let log2e: Float = 1.44269504088896341
    let magic: Float = 12582912.0  // 1.5 * 2^23: adding it rounds to an integer in the low bits
    let ln2Hi: Float = 0.693359375
    let ln2Lo: Float = -2.12194440e-4
    let upper: Float = 88.7228394
    let lower: Float = -87.3365479

    let clamped = x.replacing(with: upper, where: x .> upper).replacing(with: lower, where: x .< lower)
    // t = round(x * log2e) + magic; n = t - magic (exact integer as Float)
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
    // n = 128 (x in (88.38, 88.72]) has no exponent field of its own: use 2·2^127.
    let topBinade = n .> 127
    n = n.replacing(with: n - 1, where: topBinade)
    er = er.replacing(with: er + er, where: topBinade)

    // 2^n: the integer n sits in the low mantissa bits of t; move it into the exponent field.
    let tBits = unsafeBitCast(n + V(repeating: magic), to: V.MaskStorage.self)
    let exponentBias = V.MaskStorage(repeating: 127 &- 0x4B40_0000)
    let scale = unsafeBitCast((tBits &+ exponentBias) &<< 23, to: V.self)
    var result = er * scale
    result = result.replacing(with: 0, where: x .< lower)
    result = result.replacing(with: .infinity, where: x .> upper)
    result = result.replacing(with: x, where: x .!= x)
    return result
}

/// Scalar e^x with the same method and error bound as `vectorExp`, for loop tails.
@inlinable @inline(__always)
public func scalarExp(_ x: Float) -> Float {
    vectorExp(SIMD2<Float>(repeating: x))[0]
}
