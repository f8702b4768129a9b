import CAttentionShims

/// The vector features of this CPU that the OS also enables (cpuid and XCR0), read once.
public struct CPUFeatures: Sendable, Equatable {
    /// Feature names the CPU reports, in a fixed order ("avx2", "fma", "avx512f", ...).
    public let names: [String]

    /// Whether the AVX-512 kernels may run: F, CD, BW, DQ and VL (the `skylake-avx512` set the
    /// AVX-512 module is compiled for).
    public let hasAVX512: Bool

    /// This CPU's features.
    public static let current = CPUFeatures(bits: attn_shim_cpu_features())

    init(bits: UInt32) {
        let table: [(UInt32, String)] = [
            (UInt32(ATTN_SHIM_CPU_AVX2), "avx2"), (UInt32(ATTN_SHIM_CPU_FMA), "fma"),
            (UInt32(ATTN_SHIM_CPU_AVX512F), "avx512f"), (UInt32(ATTN_SHIM_CPU_AVX512CD), "avx512cd"),
            (UInt32(ATTN_SHIM_CPU_AVX512BW), "avx512bw"), (UInt32(ATTN_SHIM_CPU_AVX512DQ), "avx512dq"),
            (UInt32(ATTN_SHIM_CPU_AVX512VL), "avx512vl"),
        ]
        names = table.filter { bits & $0.0 != 0 }.map(\.1)
        let avx512: UInt32 = UInt32(ATTN_SHIM_CPU_AVX512F) | UInt32(ATTN_SHIM_CPU_AVX512CD)
            | UInt32(ATTN_SHIM_CPU_AVX512BW) | UInt32(ATTN_SHIM_CPU_AVX512DQ)
            | UInt32(ATTN_SHIM_CPU_AVX512VL)
        hasAVX512 = bits & avx512 == avx512
    }

    /// One line for logs and benchmark headers: "kernels avx512 (cpu: avx2 fma avx512f ...)".
    public static var summary: String {
        "kernels \(KernelISA.active) (cpu: \(current.names.joined(separator: " ")))"
    }
}
