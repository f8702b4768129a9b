/// Exact conversions from the 16-bit float formats of checkpoints to FP32.
///
/// Every F16 and BF16 value is exactly representable in FP32, so these conversions are exact:
/// signs of zeros, subnormals, infinities and NaN payloads (shifted into the FP32 mantissa) are
/// all preserved. Written with bit operations rather than `Float16` so that they behave the same
/// on every platform and never quiet a signalling NaN.
public enum HalfFloat {
    /// IEEE 754 binary16 (1 sign, 5 exponent, 10 mantissa bits) to FP32.
    @inlinable
    public static func float(fromFloat16 bits: UInt16) -> Float {
        let sign = UInt32(bits & 0x8000) << 16
        let exponent = UInt32(bits >> 10) & 0x1F
        let mantissa = UInt32(bits & 0x03FF)
        switch exponent {
        case 0:
            // Zero or subnormal: mantissa × 2^-24, exact in FP32 (a normal number there).
            let magnitude = Float(mantissa) * 0x1p-24
            return Float(bitPattern: sign | magnitude.bitPattern)
        case 0x1F:
            // Infinity (mantissa 0) or NaN with its payload and quiet bit kept.
            return Float(bitPattern: sign | 0x7F80_0000 | mantissa << 13)
        default:
            // Rebias the exponent from 15 to 127.
            return Float(bitPattern: sign | (exponent + 112) << 23 | mantissa << 13)
        }
    }

    /// bfloat16 (the upper half of an FP32) to FP32.
    @inlinable
    public static func float(fromBFloat16 bits: UInt16) -> Float {
        Float(bitPattern: UInt32(bits) << 16)
    }
}
