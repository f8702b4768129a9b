// The choice of GEMM register tile (GemmTile.swift in AttentionKernels): each variant runs in
// the module built for its instruction set.

/// Register tile used by the GEMM micro-kernel: SIMD16 (6×32, AVX-512) or SIMD8 (6×16, AVX2).
public enum GemmMicroKernel: Sendable, CaseIterable {
    case simd16, simd8

    /// The tile of the kernels in use (`KernelISA.active`).
    public static var preferred: GemmMicroKernel { KernelISA.active.gemmMicroKernel }

    /// The variants this CPU can execute, widest first.
    public static var available: [GemmMicroKernel] { KernelISA.available.map(\.gemmMicroKernel) }

    /// The instruction set whose module holds this tile.
    var isa: KernelISA {
        switch self {
        case .simd16: return .avx512
        case .simd8: return .avx2
        }
    }

    /// Register-tile columns: two SIMD vectors.
    var nr: Int {
        switch self {
        case .simd16: return 32
        case .simd8: return 16
        }
    }

    /// Runs the tile for this variant. `a` is a packed A micro-panel (kc, MR), `b` a packed B
    /// micro-panel (kc, nr); the valid part (rows, cols) of the tile lands in `c` (ldc).
    @inline(__always)
    func run(kc: Int, a: UnsafePointer<Float>, b: UnsafePointer<Float>,
             c: UnsafeMutablePointer<Float>, ldc: Int, rows: Int, cols: Int, column: Int,
             epilogue: GemmEpilogue) {
        isa.kernels.gemmTile(kc: kc, a: a, b: b, c: c, ldc: ldc, rows: rows, cols: cols,
                             column: column, epilogue: epilogue)
    }
}

