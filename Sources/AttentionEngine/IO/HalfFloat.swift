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

    /// The 16-bit formats `widenInPlace` reads.
    public enum Format: Sendable {
        case float16, bfloat16
    }

    /// Converts `count` 16-bit values stored in the first `2 * count` bytes at `buffer` into
    /// `count` FP32 values filling the first `4 * count` bytes, in place: the buffer is read as
    /// 16-bit little-endian values and left holding floats (it needs no particular alignment).
    /// Bit-identical to the scalar conversions above (NaN payloads included).
    ///
    /// Works from the last element down, 16 at a time: the floats of elements i..<i+16 (bytes
    /// 4i..<4i+64) are stored after those elements were loaded, and never reach the
    /// not yet converted elements j < i (bytes 0..<2i).
    public static func widenInPlace(_ buffer: UnsafeMutableRawPointer, count: Int, from format: Format) {
        var i = count
        while i >= 16 {
            i -= 16
            // Little-endian host (checked at compile time in SafeTensorsFile.swift).
            let bits = SIMD16<UInt32>(truncatingIfNeeded:
                buffer.loadUnaligned(fromByteOffset: 2 * i, as: SIMD16<UInt16>.self))
            let floats = format == .float16 ? float(fromFloat16: bits) : float(fromBFloat16: bits)
            buffer.storeBytes(of: floats, toByteOffset: 4 * i, as: SIMD16<Float>.self)
        }
        while i > 0 {
            i -= 1
            let bits = UInt16(littleEndian: buffer.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self))
            let value = format == .float16 ? float(fromFloat16: bits) : float(fromBFloat16: bits)
            buffer.storeBytes(of: value, toByteOffset: 4 * i, as: Float.self)
        }
    }

    /// 16 F16 values (in the low halves of `bits`) to FP32, without branches: move exponent and
    /// mantissa into place and rebias; infinities and NaNs get the maximal exponent (payload
    /// kept, no floating-point operation that could quiet a NaN); subnormals are renormalized
    /// by an exact subtraction of 2^-14.
    @inline(__always)
    static func float(fromFloat16 bits: SIMD16<UInt32>) -> SIMD16<Float> {
        typealias U = SIMD16<UInt32>
        let sign = (bits & U(repeating: 0x8000)) &<< 16
        let shifted = (bits & U(repeating: 0x7FFF)) &<< 13
        let exponent = shifted & U(repeating: 0x0F80_0000)
        let normal = shifted &+ U(repeating: 0x3800_0000) // (127 - 15) << 23
        let special = normal &+ U(repeating: 0x3800_0000)  // exponent 255: inf and NaN
        let subnormal = unsafeBitCast(
            unsafeBitCast(normal &+ U(repeating: 0x0080_0000), to: SIMD16<Float>.self)
                - SIMD16<Float>(repeating: 0x1p-14), to: U.self)
        let magnitude = normal
            .replacing(with: special, where: exponent .== U(repeating: 0x0F80_0000))
            .replacing(with: subnormal, where: exponent .== U(repeating: 0))
        return unsafeBitCast(magnitude | sign, to: SIMD16<Float>.self)
    }

    /// 16 BF16 values (in the low halves of `bits`) to FP32.
    @inline(__always)
    static func float(fromBFloat16 bits: SIMD16<UInt32>) -> SIMD16<Float> {
        unsafeBitCast(bits &<< 16, to: SIMD16<Float>.self)
    }
}
