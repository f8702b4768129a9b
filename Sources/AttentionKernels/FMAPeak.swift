// A probe of the host's floating-point peak: the rate of fused multiply-adds on full vectors,
// which `attn-bench --suite peak` and Benchmarks/compare.py report next to the kernels' rates.

/// Runs `iterations` steps of 12 independent fused multiply-adds on vectors of V (24 ·
/// V.scalarCount flops per step) and returns a lane of their sum, so that nothing is optimized
/// away. 12 chains cover the FMA latency (4 cycles) times the FMA ports (2) of current x86
/// cores, in 12 of the 16 (AVX2) or 32 (AVX-512) registers. `seed` in (0, 1) keeps the values
/// bounded.
@inlinable
package func fmaPeakLoop<V: SIMD>(_: V.Type, iterations: Int, seed: Float) -> Float
where V.Scalar == Float {
    let x = V(repeating: seed), y = V(repeating: 1 - seed)
    var a0 = V(repeating: 0.1), a1 = V(repeating: 0.2), a2 = V(repeating: 0.3)
    var a3 = V(repeating: 0.4), a4 = V(repeating: 0.5), a5 = V(repeating: 0.6)
    var a6 = V(repeating: 0.7), a7 = V(repeating: 0.8), a8 = V(repeating: 0.9)
    var a9 = V(repeating: 1.0), a10 = V(repeating: 1.1), a11 = V(repeating: 1.2)
    for _ in 0..<iterations {
        a0 = x.addingProduct(a0, y); a1 = x.addingProduct(a1, y); a2 = x.addingProduct(a2, y)
        a3 = x.addingProduct(a3, y); a4 = x.addingProduct(a4, y); a5 = x.addingProduct(a5, y)
        a6 = x.addingProduct(a6, y); a7 = x.addingProduct(a7, y); a8 = x.addingProduct(a8, y)
        a9 = x.addingProduct(a9, y); a10 = x.addingProduct(a10, y); a11 = x.addingProduct(a11, y)
    }
    let sum = ((a0 + a1) + (a2 + a3)) + ((a4 + a5) + (a6 + a7)) + ((a8 + a9) + (a10 + a11))
    return sum[0]
}
