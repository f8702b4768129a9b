// The kernels' module is part of the engine's API (AttentionShape, vectorExp) and its lane helpers
// (load16, dot, ...) serve every engine file: re-exported once, here.
@_exported import AttentionKernels
import AttentionKernelsAVX2
import AttentionKernelsAVX512
import Foundation

// Run-time choice of the SIMD kernels. The library is built for a baseline CPU (AVX2 + FMA,
// `-target-cpu haswell`, unless ATTN_TARGET_CPU chose another at build time); the attention and
// GEMM micro-kernels also exist in a module built for AVX-512. Which one runs is decided once,
// from cpuid, and can be narrowed with the environment variable ATTN_ISA=avx2 (for tests and
// side-by-side comparisons on an AVX-512 host).

/// The instruction set whose micro-kernels (attention forward, backward and decode, GEMM tile)
/// run. Everything else runs baseline code.
///
///     print(KernelISA.active)           // avx512 on a CPU with AVX-512, else avx2
///     for isa in KernelISA.available { ... }  // what this CPU can execute, widest first
public enum KernelISA: String, Sendable, CaseIterable, CustomStringConvertible {
    /// AVX2 + FMA: SIMD8 tiles for 16 vector registers. The baseline every build requires.
    case avx2
    /// AVX-512 F/CD/BW/DQ/VL: SIMD16 tiles for 32 vector registers.
    case avx512

    /// The kernels in use: the widest set this CPU executes, or the one ATTN_ISA names when the
    /// CPU executes it ("avx2" or "avx512"; other values are ignored). Read once per process.
    public static let active: KernelISA = {
        if let requested = ProcessInfo.processInfo.environment["ATTN_ISA"].flatMap(KernelISA.init),
           available.contains(requested) {
            return requested
        }
        return available[0]
    }()

    /// The kernel sets this CPU can execute, widest first (always contains `.avx2`: the library
    /// itself is built for it).
    public static var available: [KernelISA] {
        CPUFeatures.current.hasAVX512 ? [.avx512, .avx2] : [.avx2]
    }

    public var description: String { rawValue }

    /// The entry points of this instruction set's module.
    var kernels: any KernelSet.Type {
        switch self {
        case .avx2: return AVX2Kernels.self
        case .avx512: return AVX512Kernels.self
        }
    }

    /// Floats per vector register of this set's kernels (8 or 16).
    public var vectorWidth: Int { kernels.vectorWidth }

    /// Runs `iterations` steps of 12 independent fused multiply-adds on full vectors of this
    /// set, 24 · `vectorWidth` flops per step, on the calling thread: a probe of the host's FMA
    /// peak for benchmarks. Returns a value computed from all of them.
    public func fmaPeakLoop(iterations: Int) -> Float {
        kernels.fmaPeakLoop(iterations: iterations, seed: 0.5)
    }

    /// The GEMM register tile of this instruction set.
    var gemmMicroKernel: GemmMicroKernel {
        switch self {
        case .avx2: return .simd8
        case .avx512: return .simd16
        }
    }
}
