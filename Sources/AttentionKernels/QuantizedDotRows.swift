// Matrix-vector products with low-precision weights, for decoding (one token: memory bound, every
// weight read once). The weights stay in their compact form in memory and are widened to FP32 in
// registers; products and sums are FP32.
//
//     y[j] = Σ_p x[p] · W[j, p] (+ bias[j])        for j in rows;  W (n, k) row-major
//
// BF16: W's element is the upper half of an FP32. V lanes of UInt32 hold 2·V weights; the even
// ones (low halves) become FP32 by a shift left of 16, the odd ones (high halves) by masking the
// low half away. So the kernel needs x de-interleaved in chunks of 2·V: `deinterleave(planes: 2)`.
//
// Q8 (llama.cpp's Q8_0): W[j, p] = scale[j, p / 32] · q[j, p], q an Int8 in [-127, 127]. V lanes
// of Int32 hold 4·V weights; byte r of each lane becomes an Int32 by two shifts, then FP32 (exactly, by a magic-number add). The
// four byte planes need x in chunks of 4·V, `deinterleave(planes: 4)`. Lane i of a chunk
// covers weights 4i..4i+3, which lie in block i / 8 of the chunk: a chunk spans one block (V = 8)
// or two (V = 16), and its partial sums are multiplied by a vector of those blocks' scales.
//
// Each output is one reduction in a fixed order that depends only on k and V, never on which
// rows a thread computes: results are bitwise identical for any thread count. The tail of k
// (k mod 2V, resp. the blocks after the last full chunk) runs in scalar fused steps.

/// Weights per Q8 block (one scale each).
public let q8BlockSize = 32

/// x (k) → out (k) de-interleaved into `planes` planes for vectors of `width` lanes: in each full
/// chunk of planes·width values, plane r (r = 0..<planes) holds x[chunk + planes·i + r] for i in
/// 0..<width; the tail (k mod planes·width) is copied as is. `bf16DotRows` needs 2 planes (even
/// then odd values), `q8DotRows` 4 (one per byte of an Int32 lane).
@inlinable
package func deinterleave(_ out: UnsafeMutablePointer<Float>, _ x: UnsafePointer<Float>, k: Int, width: Int, planes: Int) {
    let chunk = planes * width
    let fullEnd = k - k % chunk
    var c = 0
    while c < fullEnd {
        for r in 0..<planes {
            for i in 0..<width { out[c + r * width + i] = x[c + planes * i + r] }
        }
        c += chunk
    }
    for p in fullEnd..<k { out[p] = x[p] }
}

/// y[j] = Σ_p x[p] · W[j, p] + bias[j] for j in `rows`, W (n, k) BF16 row-major (bit patterns),
/// `xPermuted` (k) from `deinterleave(planes: 2)` with V's width. Four rows per pass share the loads of x.
@inlinable @inline(__always)
package func bf16DotRows<V: SIMD, U: SIMD>(_: V.Type, _: U.Type, rows: Range<Int>, k: Int,
                                           xPermuted: UnsafePointer<Float>,
                                           weights: UnsafePointer<UInt16>,
                                           bias: UnsafePointer<Float>?, y: UnsafeMutablePointer<Float>)
where V.Scalar == Float, U.Scalar == UInt32 {
    let w = V.scalarCount
    let chunk = 2 * w
    let fullEnd = k - k % chunk
    let highHalf = U(repeating: 0xFFFF_0000)
    let xRaw = UnsafeRawPointer(xPermuted)
    var j = rows.lowerBound
    while j < rows.upperBound {
        let last = rows.upperBound - 1
        let j1 = min(j + 1, last), j2 = min(j + 2, last), j3 = min(j + 3, last)
        let m0 = UnsafeRawPointer(weights + j * k), m1 = UnsafeRawPointer(weights + j1 * k)
        let m2 = UnsafeRawPointer(weights + j2 * k), m3 = UnsafeRawPointer(weights + j3 * k)
        var e0 = V(), e1 = V(), e2 = V(), e3 = V()
        var o0 = V(), o1 = V(), o2 = V(), o3 = V()
        var p = 0
        while p < fullEnd {
            let xe = xRaw.loadUnaligned(fromByteOffset: p * 4, as: V.self)
            let xo = xRaw.loadUnaligned(fromByteOffset: (p + w) * 4, as: V.self)
            var u = m0.loadUnaligned(fromByteOffset: p * 2, as: U.self)
            e0 = e0.addingProduct(xe, unsafeBitCast(u &<< 16, to: V.self))
            o0 = o0.addingProduct(xo, unsafeBitCast(u & highHalf, to: V.self))
            u = m1.loadUnaligned(fromByteOffset: p * 2, as: U.self)
            e1 = e1.addingProduct(xe, unsafeBitCast(u &<< 16, to: V.self))
            o1 = o1.addingProduct(xo, unsafeBitCast(u & highHalf, to: V.self))
            u = m2.loadUnaligned(fromByteOffset: p * 2, as: U.self)
            e2 = e2.addingProduct(xe, unsafeBitCast(u &<< 16, to: V.self))
            o2 = o2.addingProduct(xo, unsafeBitCast(u & highHalf, to: V.self))
            u = m3.loadUnaligned(fromByteOffset: p * 2, as: U.self)
            e3 = e3.addingProduct(xe, unsafeBitCast(u &<< 16, to: V.self))
            o3 = o3.addingProduct(xo, unsafeBitCast(u & highHalf, to: V.self))
            p += chunk
        }
        var s0 = (e0 + o0).sum(), s1 = (e1 + o1).sum(), s2 = (e2 + o2).sum(), s3 = (e3 + o3).sum()
        let w0 = weights + j * k, w1 = weights + j1 * k, w2 = weights + j2 * k, w3 = weights + j3 * k
        while p < k {
            let xp = xPermuted[p]
            s0 = s0.addingProduct(xp, Float(bitPattern: UInt32(w0[p]) << 16))
            s1 = s1.addingProduct(xp, Float(bitPattern: UInt32(w1[p]) << 16))
            s2 = s2.addingProduct(xp, Float(bitPattern: UInt32(w2[p]) << 16))
            s3 = s3.addingProduct(xp, Float(bitPattern: UInt32(w3[p]) << 16))
            p += 1
        }
        y[j] = s0 + (bias?[j] ?? 0)
        if j + 1 <= last { y[j1] = s1 + (bias?[j1] ?? 0) }
        if j + 2 <= last { y[j2] = s2 + (bias?[j2] ?? 0) }
        if j + 3 <= last { y[j3] = s3 + (bias?[j3] ?? 0) }
        j += 4
    }
}

/// y[j] = Σ_b scale[j, b] · Σ_{p in block b} x[p] · q[j, p] + bias[j] for j in `rows`; q (n, k)
/// Int8 row-major, scales (n, k / 32), k a multiple of 32, `xPermuted` (k) from `deinterleave(planes: 4)`
/// with V's width (V of 8 or 16 lanes). Two rows per pass share the loads of x.
@inlinable @inline(__always)
package func q8DotRows<V: SIMD, I: SIMD>(_: V.Type, _: I.Type, rows: Range<Int>, k: Int,
                                         xPermuted: UnsafePointer<Float>,
                                         quants: UnsafePointer<Int8>, scales: UnsafePointer<Float>,
                                         bias: UnsafePointer<Float>?, y: UnsafeMutablePointer<Float>)
where V.Scalar == Float, I.Scalar == Int32 {
    let w = V.scalarCount
    let chunk = 4 * w
    let fullEnd = k - k % chunk
    let blocksPerRow = k / q8BlockSize
    let blocksPerChunk = chunk / q8BlockSize  // 1 (V = 8) or 2 (V = 16)
    // Lanes whose 4 weights lie in the chunk's second block.
    var secondBlock = SIMDMask<V.MaskStorage>()
    for i in 0..<w { secondBlock[i] = i >= 8 }
    let xRaw = UnsafeRawPointer(xPermuted)

    // Int32 → FP32 without a generic conversion: for |v| < 2²², the FP32 with bit pattern
    // 0x4B40_0000 + v is exactly 1.5·2²³ + v, so subtracting 1.5·2²³ leaves v exactly.
    let magicBits = I(repeating: 0x4B40_0000)
    let magic = V(repeating: 12_582_912)
    @inline(__always)
    func float(_ v: I) -> V { unsafeBitCast(v &+ magicBits, to: V.self) - magic }

    /// The four byte planes of one chunk of a row, summed against x: (V) partial sums per lane.
    @inline(__always)
    func chunkProduct(_ row: UnsafeRawPointer, _ p: Int, _ x0: V, _ x1: V, _ x2: V, _ x3: V) -> V {
        let u = row.loadUnaligned(fromByteOffset: p, as: I.self)
        var t = x0 * float((u &<< 24) &>> 24)
        t = t.addingProduct(x1, float((u &<< 16) &>> 24))
        t = t.addingProduct(x2, float((u &<< 8) &>> 24))
        return t.addingProduct(x3, float(u &>> 24))
    }
    @inline(__always)
    func chunkScales(_ s: UnsafePointer<Float>, _ block: Int) -> V {
        blocksPerChunk == 1 ? V(repeating: s[block])
            : V(repeating: s[block]).replacing(with: s[block + 1], where: secondBlock)
    }

    var j = rows.lowerBound
    while j < rows.upperBound {
        let j1 = min(j + 1, rows.upperBound - 1)
        let r0 = UnsafeRawPointer(quants + j * k), r1 = UnsafeRawPointer(quants + j1 * k)
        let sc0 = scales + j * blocksPerRow, sc1 = scales + j1 * blocksPerRow
        var a0 = V(), a1 = V()
        var p = 0
        while p < fullEnd {
            let x0 = xRaw.loadUnaligned(fromByteOffset: p * 4, as: V.self)
            let x1 = xRaw.loadUnaligned(fromByteOffset: (p + w) * 4, as: V.self)
            let x2 = xRaw.loadUnaligned(fromByteOffset: (p + 2 * w) * 4, as: V.self)
            let x3 = xRaw.loadUnaligned(fromByteOffset: (p + 3 * w) * 4, as: V.self)
            let block = p / q8BlockSize
            a0 = a0.addingProduct(chunkScales(sc0, block), chunkProduct(r0, p, x0, x1, x2, x3))
            a1 = a1.addingProduct(chunkScales(sc1, block), chunkProduct(r1, p, x0, x1, x2, x3))
            p += chunk
        }
        var s0 = a0.sum(), s1 = a1.sum()
        let q0 = quants + j * k, q1 = quants + j1 * k
        while p < k {
            let block = p / q8BlockSize
            var t0: Float = 0, t1: Float = 0
            for e in p..<p + q8BlockSize {
                t0 = t0.addingProduct(xPermuted[e], Float(q0[e]))
                t1 = t1.addingProduct(xPermuted[e], Float(q1[e]))
            }
            s0 = s0.addingProduct(sc0[block], t0)
            s1 = s1.addingProduct(sc1[block], t1)
            p += q8BlockSize
        }
        y[j] = s0 + (bias?[j] ?? 0)
        if j1 != j { y[j1] = s1 + (bias?[j1] ?? 0) }
        j += 2
    }
}
