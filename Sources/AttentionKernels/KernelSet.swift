// The entry points that differ per instruction set.
//
// This module holds the SIMD kernels once, as `@inlinable` generics over the vector type, and
// is compiled for the baseline CPU (AVX2 + FMA). Each per-ISA module (AttentionKernelsAVX2,
// AttentionKernelsAVX512) conforms one enum to `KernelSet` by calling those generics with its
// vector type from `@inline(never)` entry points, so the specialised code is compiled there,
// for that module's own target CPU. AttentionEngine chooses a set at run time (`KernelISA`) and
// reaches the kernels only through it: code built for AVX-512 is never called on a CPU without.

/// The kernels one instruction set provides (see the file comment). Arguments and contracts are
/// those of the generic functions of the same name.
package protocol KernelSet {
    /// `attentionForwardChunk`: one chunk of queries (`forwardQueryChunk`) of one head of the
    /// fused forward.
    static func attentionForwardChunk(out: UnsafeMutablePointer<Float>,
                                      lse: UnsafeMutablePointer<Float>?,
                                      probs: UnsafeMutablePointer<Float>?,
                                      q: UnsafePointer<Float>, k: UnsafePointer<Float>,
                                      v: UnsafePointer<Float>,
                                      keyPaddingMask: UnsafePointer<UInt8>?,
                                      queries: Range<Int>, shape: AttentionShape,
                                      scratch: ForwardScratch)

    /// `attentionBackwardHead`: the fused backward of one head.
    static func attentionBackwardHead(dq: UnsafeMutablePointer<Float>,
                                      dk: UnsafeMutablePointer<Float>,
                                      dv: UnsafeMutablePointer<Float>,
                                      dout: UnsafePointer<Float>,
                                      q: UnsafePointer<Float>, k: UnsafePointer<Float>,
                                      v: UnsafePointer<Float>, out: UnsafePointer<Float>,
                                      lse: UnsafePointer<Float>,
                                      keyPaddingMask: UnsafePointer<UInt8>?,
                                      shape: AttentionShape, scratch: BackwardScratch)

    /// `decodeSegmentPartial`: one segment of keys for one query of the decode step.
    static func decodeSegmentPartial(max: inout Float, sum: inout Float,
                                     output: UnsafeMutablePointer<Float>,
                                     q: UnsafePointer<Float>, k: UnsafePointer<Float>,
                                     v: UnsafePointer<Float>,
                                     keyPaddingMask: UnsafePointer<UInt8>?,
                                     count: Int, headSize: Int, scale: Float,
                                     scores: UnsafeMutablePointer<Float>)

    /// `gemmTile`: one 6 × (2 vectors) GEMM register tile over a KC block.
    static func gemmTile(kc: Int, a: UnsafePointer<Float>, b: UnsafePointer<Float>,
                         c: UnsafeMutablePointer<Float>, ldc: Int, rows: Int, cols: Int,
                         column: Int, epilogue: GemmEpilogue)

    /// `fmaPeakLoop`: the FMA throughput probe on this set's vectors.
    static func fmaPeakLoop(iterations: Int, seed: Float) -> Float

    /// `bf16DotRows`: the quads of rows of a BF16 matrix-vector product (x permuted for this
    /// set's width).
    static func bf16DotRows(quads: Range<Int>, rows: Int, k: Int, xPermuted: UnsafePointer<Float>,
                            weights: UnsafePointer<UInt16>, bias: UnsafePointer<Float>?,
                            y: UnsafeMutablePointer<Float>)

    /// `q8DotRows`: the quads of rows of a Q8 matrix-vector product (x in its natural order).
    static func q8DotRows(quads: Range<Int>, rows: Int, k: Int, x: UnsafePointer<Float>,
                          quants: UnsafePointer<Int8>, scales: UnsafePointer<Float>,
                          bias: UnsafePointer<Float>?, y: UnsafeMutablePointer<Float>)

    /// Floats per vector register of this set (8 or 16).
    static var vectorWidth: Int { get }
}
