import AttentionKernels

/// The kernels specialised for AVX-512 (F, CD, BW, DQ, VL): SIMD16<Float> (one zmm register) with
/// tiles sized for 32 vector registers. This module is built with `-target-cpu skylake-avx512`
/// (Package.swift); AttentionEngine calls it only when the CPU reports those features.
///
/// Each entry point is `@inline(never)` so that no optimizer inlines code compiled for this
/// ISA into a caller built for another.
package enum AVX512Kernels: KernelSet {
    @inline(never)
    package static func attentionForwardChunk(out: UnsafeMutablePointer<Float>,
                                              lse: UnsafeMutablePointer<Float>?,
                                              probs: UnsafeMutablePointer<Float>?,
                                              q: UnsafePointer<Float>, k: UnsafePointer<Float>,
                                              v: UnsafePointer<Float>,
                                              keyPaddingMask: UnsafePointer<UInt8>?,
                                              queries: Range<Int>, shape: AttentionShape,
                                              scratch: ForwardScratch) {
        AttentionKernels.attentionForwardChunk(
            SIMD16<Float>.self, out: out, lse: lse, probs: probs, q: q, k: k, v: v,
            keyPaddingMask: keyPaddingMask, queries: queries, shape: shape, scratch: scratch)
    }

    @inline(never)
    package static func attentionBackwardHead(dq: UnsafeMutablePointer<Float>,
                                              dk: UnsafeMutablePointer<Float>,
                                              dv: UnsafeMutablePointer<Float>,
                                              dout: UnsafePointer<Float>,
                                              q: UnsafePointer<Float>, k: UnsafePointer<Float>,
                                              v: UnsafePointer<Float>, out: UnsafePointer<Float>,
                                              lse: UnsafePointer<Float>,
                                              keyPaddingMask: UnsafePointer<UInt8>?,
                                              shape: AttentionShape, scratch: BackwardScratch) {
        AttentionKernels.attentionBackwardHead(
            SIMD16<Float>.self, dq: dq, dk: dk, dv: dv, dout: dout, q: q, k: k, v: v, out: out, lse: lse,
            keyPaddingMask: keyPaddingMask, shape: shape, scratch: scratch)
    }

    @inline(never)
    package static func decodeSegmentPartial(max: inout Float, sum: inout Float,
                                             output: UnsafeMutablePointer<Float>,
                                             q: UnsafePointer<Float>, k: UnsafePointer<Float>,
                                             v: UnsafePointer<Float>,
                                             keyPaddingMask: UnsafePointer<UInt8>?,
                                             count: Int, headSize: Int, scale: Float,
                                             scores: UnsafeMutablePointer<Float>) {
        AttentionKernels.decodeSegmentPartial(
            SIMD16<Float>.self, max: &max, sum: &sum, output: output, q: q, k: k, v: v,
            keyPaddingMask: keyPaddingMask, count: count, headSize: headSize, scale: scale,
            scores: scores)
    }

    @inline(never)
    package static func gemmTile(kc: Int, a: UnsafePointer<Float>, b: UnsafePointer<Float>,
                                 c: UnsafeMutablePointer<Float>, ldc: Int, rows: Int, cols: Int,
                                 column: Int, epilogue: GemmEpilogue) {
        AttentionKernels.gemmTile(SIMD16<Float>.self, kc: kc, a: a, b: b, c: c, ldc: ldc, rows: rows,
                                  cols: cols, column: column, epilogue: epilogue)
    }

    @inline(never)
    package static func fmaPeakLoop(iterations: Int, seed: Float) -> Float {
        AttentionKernels.fmaPeakLoop(SIMD16<Float>.self, iterations: iterations, seed: seed)
    }

    @inline(never)
    package static func bf16DotRows(quads: Range<Int>, rows: Int, k: Int, xPermuted: UnsafePointer<Float>,
                                    weights: UnsafePointer<UInt16>, bias: UnsafePointer<Float>?,
                                    y: UnsafeMutablePointer<Float>) {
        AttentionKernels.bf16DotRows(SIMD16<Float>.self, SIMD16<UInt32>.self, quads: quads, rows: rows, k: k,
                                     xPermuted: xPermuted, weights: weights, bias: bias, y: y)
    }

    @inline(never)
    package static func q8DotRows(quads: Range<Int>, rows: Int, k: Int, x: UnsafePointer<Float>,
                                  quants: UnsafePointer<Int8>, scales: UnsafePointer<Float>,
                                  bias: UnsafePointer<Float>?, y: UnsafeMutablePointer<Float>) {
        AttentionKernels.q8DotRows(SIMD16<Float>.self, quads: quads, rows: rows, k: k, x: x, quants: quants, scales: scales,
                                   bias: bias, y: y) { bytes in
            SIMD16<Float>(SIMD16<Int32>(truncatingIfNeeded: bytes.loadUnaligned(as: SIMD16<Int8>.self)))
        }
    }

    package static var vectorWidth: Int { SIMD16<Float>.scalarCount }
}
