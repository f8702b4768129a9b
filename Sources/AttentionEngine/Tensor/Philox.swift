/// Philox4x32-10 (Salmon et al., "Parallel random numbers: as easy as 1, 2, 3", SC 2011), the
/// counter-based generator of PyTorch and JAX: 128 random bits as a pure function of a 128-bit
/// counter and a 64-bit key. A value depends on where it is used (its counter), never on how many
/// values were drawn before it — which lets data-parallel ranks draw exactly the dropout masks
/// that one process drawing the whole batch would.
public enum Philox {
    /// The four 32-bit words for `counter` under `key` (ten rounds, Random123's constants).
    public static func block(counter: SIMD4<UInt32>, key: UInt64) -> SIMD4<UInt32> {
        var c = counter
        var k0 = UInt32(truncatingIfNeeded: key), k1 = UInt32(truncatingIfNeeded: key >> 32)
        for round in 0..<10 {
            if round > 0 {
                k0 &+= 0x9E37_79B9
                k1 &+= 0xBB67_AE85
            }
            let product0 = UInt64(0xD251_1F53) &* UInt64(c[0]), product1 = UInt64(0xCD9E_8D57) &* UInt64(c[2])
            c = SIMD4(UInt32(truncatingIfNeeded: product1 >> 32) ^ c[1] ^ k0, UInt32(truncatingIfNeeded: product1),
                      UInt32(truncatingIfNeeded: product0 >> 32) ^ c[3] ^ k1, UInt32(truncatingIfNeeded: product0))
        }
        return c
    }
}
