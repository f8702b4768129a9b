/// Vectorized erfc and erf for SIMD lanes of Float, used by the exact (erf) GELU.
///
/// Method: for z >= 0, erfc(z) = t·exp(−z² − 1.26551223 + t·P(t)) with t = 1 / (1 + z/2) and a
/// degree-9 Chebyshev-fitted P (Numerical Recipes `erfcc`, fractional error < 1.2e-7 for all
/// z >= 0); erfc(−z) = 2 − erfc(z). −z² is folded into the exponent with one FMA. Small |z|
/// use the Taylor series of erf instead, which keeps erf's relative accuracy near 0.
///
/// Error bounds (tested against Double `erfc`/`erf`):
/// - `vectorErfc`: relative error ≤ 1.5e-6 for z < 4 and ≤ 5e-6 up to z = 9.3, where erfc
///   leaves Float's normal range (the rounding of z² grows with z); absolute error ≤ 4e-7.
/// - `vectorErf`: absolute error ≤ 2e-7 and relative error ≤ 4e-7 everywhere.
/// erfc(+inf) = 0, erfc(−inf) = 2, erf(±inf) = ±1; NaN gives NaN.
///
/// Written on the concrete SIMD16<Float>: in a generic body the lane comparisons compile to
/// per-lane scalar loops (see VectorExpSIMD16.swift).
@_transparent
package func vectorErfc(_ z: SIMD16<Float>) -> SIMD16<Float> {
    typealias V = SIMD16<Float>
    let a = z.replacing(with: -z, where: z .< 0)  // |z|
    let t = V(repeating: 1) / V(repeating: 1).addingProduct(a, V(repeating: 0.5))
    var p = V(repeating: -0.82215223).addingProduct(t, V(repeating: 0.17087277))
    p = V(repeating: 1.48851587).addingProduct(p, t)
    p = V(repeating: -1.13520398).addingProduct(p, t)
    p = V(repeating: 0.27886807).addingProduct(p, t)
    p = V(repeating: -0.18628806).addingProduct(p, t)
    p = V(repeating: 0.09678418).addingProduct(p, t)
    p = V(repeating: 0.37409196).addingProduct(p, t)
    p = V(repeating: 1.00002368).addingProduct(p, t)
    p = V(repeating: -1.26551223).addingProduct(p, t)
    let exponent = p.addingProduct(-a, a)  // −z² − 1.26551223 + t·P(t), one rounding
    let positive = t * vectorExp(exponent)  // erfc(|z|); exactly 0 once z² > ~87
    return positive.replacing(with: 2 - positive, where: z .< 0)
}

/// Vectorized erf: the Taylor series for |z| < 0.5, 1 − erfc(|z|) (with the sign of z) beyond.
/// See `vectorErfc` for the method and the error bound.
@_transparent
package func vectorErf(_ z: SIMD16<Float>) -> SIMD16<Float> {
    typealias V = SIMD16<Float>
    // erf(z) = 2/√π · (z − z³/3 + z⁵/10 − z⁷/42 + z⁹/216 − z¹¹/1320 + z¹³/9360); the next term
    // is below 1e-9 relative at |z| = 0.5.
    let z2 = z * z
    var s = V(repeating: -1.0 / 1320).addingProduct(z2, V(repeating: 1.0 / 9360))
    s = V(repeating: 1.0 / 216).addingProduct(s, z2)
    s = V(repeating: -1.0 / 42).addingProduct(s, z2)
    s = V(repeating: 1.0 / 10).addingProduct(s, z2)
    s = V(repeating: -1.0 / 3).addingProduct(s, z2)
    s = V(repeating: 1).addingProduct(s, z2)
    let series = z * s * V(repeating: 1.12837916709551257)  // 2/√π
    let a = z.replacing(with: -z, where: z .< 0)
    var tail = 1 - vectorErfc(a)
    tail = tail.replacing(with: -tail, where: z .< 0)
    return tail.replacing(with: series, where: a .< 0.5)
}
