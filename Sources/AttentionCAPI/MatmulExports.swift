import AttentionEngine
import CAttention

// attn_matmul: the engine's SIMD GEMM on caller-owned buffers.

@c @implementation
public func attn_matmul(_ trans_a: attn_transpose, _ trans_b: attn_transpose,
                        _ m: Int64, _ n: Int64, _ k: Int64,
                        _ alpha: Float, _ a: UnsafePointer<Float>?, _ lda: Int64,
                        _ b: UnsafePointer<Float>?, _ ldb: Int64,
                        _ beta: Float, _ c: UnsafeMutablePointer<Float>?, _ ldc: Int64,
                        _ bias: UnsafePointer<Float>?) -> attn_status {
    guarded {
        let transA = try transposeFlag(trans_a, name: "trans_a")
        let transB = try transposeFlag(trans_b, name: "trans_b")
        // Int64 and Int have the same width on every platform the library supports.
        let (m, n, k) = (Int(m), Int(n), Int(k))
        let (lda, ldb, ldc) = (Int(lda), Int(ldb), Int(ldc))
        try checkGemmArguments(transA: transA, transB: transB, m: m, n: n, k: k,
                               a: UnsafeRawPointer(a), lda: lda, b: UnsafeRawPointer(b), ldb: ldb,
                               c: UnsafeRawPointer(c), ldc: ldc)
        try requireDisjoint("attn_matmul", outputs: [
            BufferExtent("c", c, floats: matrixSpan(rows: m, cols: n, ld: ldc)),
        ], inputs: [
            BufferExtent("a", a, floats: transA ? matrixSpan(rows: k, cols: m, ld: lda)
                                                : matrixSpan(rows: m, cols: k, ld: lda)),
            BufferExtent("b", b, floats: transB ? matrixSpan(rows: n, cols: k, ld: ldb)
                                                : matrixSpan(rows: k, cols: n, ld: ldb)),
            BufferExtent("bias", bias, floats: n),
        ])
        gemm(transA: transA, transB: transB, m: m, n: n, k: k, alpha: alpha, a: a, lda: lda,
             b: b, ldb: ldb, beta: beta, c: c, ldc: ldc, bias: bias)
    }
}

/// ATTN_NO_TRANS → false, ATTN_TRANS → true; any other value is an invalid argument.
private func transposeFlag(_ value: attn_transpose, name: String) throws -> Bool {
    switch value {
    case ATTN_NO_TRANS: return false
    case ATTN_TRANS: return true
    default:
        throw AttentionError.invalid("attn_matmul: \(name) is \(Int32(bitPattern: value.rawValue)); expected ATTN_NO_TRANS (0) or ATTN_TRANS (1)")
    }
}
