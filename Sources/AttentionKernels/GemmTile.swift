// The GEMM register tile: MR = 6 rows of packed A times NR = 2 vectors of packed B,
// accumulated over one KC block in 12 vector registers, then merged into C by `GemmEpilogue`.
// Generic over the vector type and specialised per ISA (AttentionKernelsAVX512: SIMD16, a 6×32
// tile in 12 of the 32 zmm registers; AttentionKernelsAVX2: SIMD8, 6×16 in 12 of 16 ymm, where
// SIMD16 would spill). Every step of k broadcasts 6 values of A and loads 2 vectors of B for 12
// fused multiply-adds. Gemm.swift in AttentionEngine drives it.

/// Register-tile rows (values of packed A broadcast per step of k).
@usableFromInline package let gemmMR = 6

/// How a finished product `acc` (over one KC block) is merged into an element of C.
///
/// First block: C = (beta * C + bias) + alpha * acc (beta == 0: C is not read). Later blocks:
/// C = C + alpha * acc. The multiply-add by alpha is fused in both the vector and scalar forms,
/// so an element gets the same value whether it lies in a full or an edge tile.
@usableFromInline package struct GemmEpilogue {
    @usableFromInline package var alpha: Float
    @usableFromInline package var beta: Float
    /// (n), indexed by the column of C; nil for no bias.
    @usableFromInline package var bias: UnsafePointer<Float>?
    /// True after the first KC block: C already holds the partial result.
    @usableFromInline package var accumulate: Bool

    package init(alpha: Float, beta: Float, bias: UnsafePointer<Float>?, accumulate: Bool) {
        self.alpha = alpha
        self.beta = beta
        self.bias = bias
        self.accumulate = accumulate
    }

    @inlinable @inline(__always)
    package func apply(_ acc: Float, to c: UnsafeMutablePointer<Float>, column j: Int) {
        if accumulate {
            c.pointee = c.pointee.addingProduct(alpha, acc)
            return
        }
        var base: Float = beta == 0 ? 0 : beta * c.pointee
        if let bias { base += bias[j] }
        c.pointee = base.addingProduct(alpha, acc)
    }

    @inlinable @inline(__always)
    package func apply<V: SIMD>(_ acc: V, to c: UnsafeMutablePointer<Float>, column j: Int)
    where V.Scalar == Float {
        let raw = UnsafeMutableRawPointer(c)
        if accumulate {
            let old = raw.loadUnaligned(as: V.self)
            raw.storeBytes(of: old.addingProduct(V(repeating: alpha), acc), as: V.self)
            return
        }
        var base = V()
        if beta != 0 { base = raw.loadUnaligned(as: V.self) * V(repeating: beta) }
        if let bias { base += UnsafeRawPointer(bias + j).loadUnaligned(as: V.self) }
        raw.storeBytes(of: base.addingProduct(V(repeating: alpha), acc), as: V.self)
    }
}

/// The micro-kernel: acc (MR, 2W) = sum over kc of a (kc, MR) column ⊗ b (kc, 2W) row, then the
/// epilogue into c (rows <= MR, cols <= 2W, leading dimension ldc). `column` is the index of the
/// tile's first column in C (for the bias). Edge tiles compute the full tile from zero-padded
/// panels and write only their valid part.
@inlinable @inline(__always)
package func gemmTile<V: SIMD>(_: V.Type, kc: Int, a: UnsafePointer<Float>, b: UnsafePointer<Float>,
                       c: UnsafeMutablePointer<Float>, ldc: Int, rows: Int, cols: Int,
                       column: Int, epilogue: GemmEpilogue) where V.Scalar == Float {
    let w = V.scalarCount
    var c00 = V(), c01 = V(), c10 = V(), c11 = V(), c20 = V(), c21 = V()
    var c30 = V(), c31 = V(), c40 = V(), c41 = V(), c50 = V(), c51 = V()
    var pa = a
    var pb = UnsafeRawPointer(b)
    for _ in 0..<kc {
        let b0 = pb.loadUnaligned(as: V.self)
        let b1 = pb.loadUnaligned(fromByteOffset: w * 4, as: V.self)
        var av = V(repeating: pa[0])
        c00 = c00.addingProduct(av, b0); c01 = c01.addingProduct(av, b1)
        av = V(repeating: pa[1])
        c10 = c10.addingProduct(av, b0); c11 = c11.addingProduct(av, b1)
        av = V(repeating: pa[2])
        c20 = c20.addingProduct(av, b0); c21 = c21.addingProduct(av, b1)
        av = V(repeating: pa[3])
        c30 = c30.addingProduct(av, b0); c31 = c31.addingProduct(av, b1)
        av = V(repeating: pa[4])
        c40 = c40.addingProduct(av, b0); c41 = c41.addingProduct(av, b1)
        av = V(repeating: pa[5])
        c50 = c50.addingProduct(av, b0); c51 = c51.addingProduct(av, b1)
        pa += 6
        pb += 2 * w * 4
    }

    if rows == 6 && cols == 2 * w {
        var row = c
        epilogue.apply(c00, to: row, column: column); epilogue.apply(c01, to: row + w, column: column + w)
        row += ldc
        epilogue.apply(c10, to: row, column: column); epilogue.apply(c11, to: row + w, column: column + w)
        row += ldc
        epilogue.apply(c20, to: row, column: column); epilogue.apply(c21, to: row + w, column: column + w)
        row += ldc
        epilogue.apply(c30, to: row, column: column); epilogue.apply(c31, to: row + w, column: column + w)
        row += ldc
        epilogue.apply(c40, to: row, column: column); epilogue.apply(c41, to: row + w, column: column + w)
        row += ldc
        epilogue.apply(c50, to: row, column: column); epilogue.apply(c51, to: row + w, column: column + w)
        return
    }

    // Edge tile: spill the accumulators (tile (6, 2W)) and merge the valid part element-wise.
    withUnsafeTemporaryAllocation(of: Float.self, capacity: 12 * w) { buffer in
        let tile = UnsafeMutableRawPointer(buffer.baseAddress!)
        let stride = 2 * w * 4
        tile.storeBytes(of: c00, toByteOffset: 0 * stride, as: V.self)
        tile.storeBytes(of: c01, toByteOffset: 0 * stride + w * 4, as: V.self)
        tile.storeBytes(of: c10, toByteOffset: 1 * stride, as: V.self)
        tile.storeBytes(of: c11, toByteOffset: 1 * stride + w * 4, as: V.self)
        tile.storeBytes(of: c20, toByteOffset: 2 * stride, as: V.self)
        tile.storeBytes(of: c21, toByteOffset: 2 * stride + w * 4, as: V.self)
        tile.storeBytes(of: c30, toByteOffset: 3 * stride, as: V.self)
        tile.storeBytes(of: c31, toByteOffset: 3 * stride + w * 4, as: V.self)
        tile.storeBytes(of: c40, toByteOffset: 4 * stride, as: V.self)
        tile.storeBytes(of: c41, toByteOffset: 4 * stride + w * 4, as: V.self)
        tile.storeBytes(of: c50, toByteOffset: 5 * stride, as: V.self)
        tile.storeBytes(of: c51, toByteOffset: 5 * stride + w * 4, as: V.self)
        let values = buffer.baseAddress!
        for r in 0..<rows {
            for j in 0..<cols {
                epilogue.apply(values[r * 2 * w + j], to: c + r * ldc + j, column: column + j)
            }
        }
    }
}
