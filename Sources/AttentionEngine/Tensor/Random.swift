#if canImport(Glibc)
import Glibc
#else
import Darwin
#endif

/// The engine's seeded random number generator: xoshiro256** (Blackman & Vigna, 2018), its
/// 256-bit state filled from the seed by SplitMix64.
///
/// Everything random in the engine (parameter init, dropout masks, shuffling, sampling) draws from
/// a `Random` value in a fixed serial order, never from per-thread generators, so the same seed
/// gives the same numbers on any thread count and any machine.
///
/// - `nextUniform()` is the top 24 bits of a draw scaled to [0, 1): every Float in the range is
///   a multiple of 2⁻²⁴.
/// - `nextNormal()` is Box–Muller: two uniforms u1 ∈ (0, 1], u2 ∈ [0, 1) give
///   √(−2 ln u1)·cos(2π u2) and √(−2 ln u1)·sin(2π u2) (computed in Double); the second value is
///   kept for the next call.
public struct Random: RandomNumberGenerator {
    // Internal (not private) so that checkpoints can save and restore the state.
    var s0, s1, s2, s3: UInt64
    var spareNormal: Float?

    /// A generator whose whole sequence is determined by `seed`.
    public init(seed: UInt64) {
        var x = seed
        func splitMix() -> UInt64 {
            x &+= 0x9E37_79B9_7F4A_7C15
            var z = x
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        s0 = splitMix(); s1 = splitMix(); s2 = splitMix(); s3 = splitMix()
    }

    /// The next 64 random bits.
    public mutating func next() -> UInt64 {
        let result = rotate(s1 &* 5, 7) &* 9
        let t = s1 << 17
        s2 ^= s0
        s3 ^= s1
        s1 ^= s2
        s0 ^= s3
        s2 ^= t
        s3 = rotate(s3, 45)
        return result
    }

    /// Uniform in [0, 1), a multiple of 2⁻²⁴.
    public mutating func nextUniform() -> Float {
        Float(next() >> 40) * (1.0 / 16_777_216.0)
    }

    /// Standard normal N(0, 1) by Box–Muller.
    public mutating func nextNormal() -> Float {
        if let spare = spareNormal {
            spareNormal = nil
            return spare
        }
        let u1 = (Double(next() >> 11) + 1) * 0x1p-53  // (0, 1]: log stays finite
        let u2 = Double(next() >> 11) * 0x1p-53        // [0, 1)
        let radius = (-2 * log(u1)).squareRoot()
        let angle = 2 * Double.pi * u2
        spareNormal = Float(radius * sin(angle))
        return Float(radius * cos(angle))
    }

    /// Uniform integer in 0..<bound (bound > 0), without modulo bias.
    public mutating func nextInt(below bound: Int) -> Int {
        Int(next(upperBound: UInt64(bound)))
    }

    private func rotate(_ x: UInt64, _ k: UInt64) -> UInt64 { (x << k) | (x >> (64 - k)) }
}
