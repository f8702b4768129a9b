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
// Q8 (llama.cpp's Q8_0): W[j, p] = scale[j, p / 32] · q[j, p], q an Int8 in [-127, 127]. V bytes
// are loaded with sign extension into V Int32 lanes and converted to FP32 (vpmovsxbd + vcvtdq2ps
// on x86), against x in its natural order; a block's partial sums are multiplied by its scale.
//
// Both kernels compute four rows per pass and prefetch the next four rows' cache lines while they
// do (`prefetchAhead`): the weights are streamed from memory once per product.
//
// Each output is one reduction in a fixed order that depends only on k and V, never on which
// rows a thread computes: results are bitwise identical for any thread count. The tail of k
// (k mod 2V) of a BF16 row runs in scalar fused steps.

import CAttentionShims

/// Weights per Q8 block (one scale each).
public let q8BlockSize = 32

/// x (k) → out (k) de-interleaved into `planes` planes for vectors of `width` lanes: in each full
/// chunk of planes·width values, plane r (r = 0..<planes) holds x[chunk + planes·i + r] for i in
/// 0..<width; the tail (k mod planes·width) is copied as is. `bf16DotRows` needs 2 planes (even
/// then odd values).
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
/// `xPermuted` (k) from `deinterleave(planes: 2)` with V's width. Four rows per pass share the
/// loads of x and prefetch the same chunk of the next four rows (see `prefetchAhead`).
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
        // The next group of four rows, when all of it is in range (else this group's own, cached).
        let ahead = j + 8 <= rows.upperBound ? 4 * k * 2 : 0
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
            prefetchAhead(m0 + ahead + p * 2, m1 + ahead + p * 2, m2 + ahead + p * 2, m3 + ahead + p * 2)
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
/// Int8 row-major, scales (n, k / 32), k a multiple of 32, x (k) in its natural order. V of 8 or
/// 16 lanes: a block is 32 / V vectors, each read by `widen` (V Int8 at an address → V FP32: a
/// sign-extending load and a conversion, which the standard library offers only on the concrete
/// SIMD types). Four rows per pass share the loads of x, and prefetch the same block of the next
/// four rows (see `prefetchAhead`).
@inlinable @inline(__always)
package func q8DotRows<V: SIMD>(_: V.Type, rows: Range<Int>, k: Int, x: UnsafePointer<Float>,
                                quants: UnsafePointer<Int8>, scales: UnsafePointer<Float>,
                                bias: UnsafePointer<Float>?, y: UnsafeMutablePointer<Float>,
                                widen: (UnsafeRawPointer) -> V)
where V.Scalar == Float {
    let w = V.scalarCount
    let blocksPerRow = k / q8BlockSize
    let xRaw = UnsafeRawPointer(x)

    /// Σ over one block of x · q, as (V) partial sums: the block's 32 / V vectors in two chains.
    @inline(__always)
    func blockProduct(_ row: UnsafeRawPointer, _ p: Int, _ xs: (V, V, V, V)) -> V {
        @inline(__always)
        func weights(_ i: Int) -> V { widen(row + p + i * w) }
        if w == 16 { return (xs.0 * weights(0)).addingProduct(xs.1, weights(1)) }
        return (xs.0 * weights(0)).addingProduct(xs.1, weights(1)) + (xs.2 * weights(2)).addingProduct(xs.3, weights(3))
    }

    var j = rows.lowerBound
    while j < rows.upperBound {
        let last = rows.upperBound - 1
        let ahead = j + 8 <= rows.upperBound ? 4 * k : 0  // as in bf16DotRows
        let j1 = min(j + 1, last), j2 = min(j + 2, last), j3 = min(j + 3, last)
        let r0 = UnsafeRawPointer(quants + j * k), r1 = UnsafeRawPointer(quants + j1 * k)
        let r2 = UnsafeRawPointer(quants + j2 * k), r3 = UnsafeRawPointer(quants + j3 * k)
        let s0 = scales + j * blocksPerRow, s1 = scales + j1 * blocksPerRow
        let s2 = scales + j2 * blocksPerRow, s3 = scales + j3 * blocksPerRow
        var a0 = V(), a1 = V(), a2 = V(), a3 = V()
        for block in 0..<blocksPerRow {
            let p = block * q8BlockSize
            let xs = (xRaw.loadUnaligned(fromByteOffset: p * 4, as: V.self),
                      xRaw.loadUnaligned(fromByteOffset: (p + w) * 4, as: V.self),
                      w == 16 ? V() : xRaw.loadUnaligned(fromByteOffset: (p + 2 * w) * 4, as: V.self),
                      w == 16 ? V() : xRaw.loadUnaligned(fromByteOffset: (p + 3 * w) * 4, as: V.self))
            a0 = a0.addingProduct(V(repeating: s0[block]), blockProduct(r0, p, xs))
            a1 = a1.addingProduct(V(repeating: s1[block]), blockProduct(r1, p, xs))
            a2 = a2.addingProduct(V(repeating: s2[block]), blockProduct(r2, p, xs))
            a3 = a3.addingProduct(V(repeating: s3[block]), blockProduct(r3, p, xs))
            prefetchAhead(r0 + ahead + p, r1 + ahead + p, r2 + ahead + p, r3 + ahead + p)
        }
        y[j] = a0.sum() + (bias?[j] ?? 0)
        if j + 1 <= last { y[j1] = a1.sum() + (bias?[j1] ?? 0) }
        if j + 2 <= last { y[j2] = a2.sum() + (bias?[j2] ?? 0) }
        if j + 3 <= last { y[j3] = a3.sum() + (bias?[j3] ?? 0) }
        j += 4
    }
}

/// Asks the CPU to fetch the cache lines at four addresses (the same place in the next group of
/// four rows) while the current group is computed. Weights are streamed once per product, and rows
/// of BF16/Q8 weights are short (768 Q8 weights are 12 cache lines), too short for the hardware
/// prefetcher to follow the four interleaved streams: without this, the narrowed products read
/// memory at under half the bandwidth an FP32 product reaches.
@inlinable @inline(__always)
package func prefetchAhead(_ a: UnsafeRawPointer, _ b: UnsafeRawPointer, _ c: UnsafeRawPointer, _ d: UnsafeRawPointer) {
    attn_shim_prefetch(a)
    attn_shim_prefetch(b)
    attn_shim_prefetch(c)
    attn_shim_prefetch(d)
}
