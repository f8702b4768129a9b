// Matrix-vector products with low-precision weights, for decoding (one token: memory bound, every
// weight read once). The weights stay in their compact form in memory and are widened to FP32 in
// registers; products and sums are FP32.
//
//     y[j] = Σ_p x[p] · W[j, p] (+ bias[j])        for j in rows;  W (n, k) in the row-quad layout
//
// BF16: W's element is the upper half of an FP32. V lanes of UInt32 hold 2·V weights; the even
// ones (low halves) become FP32 by a shift left of 16, the odd ones (high halves) by masking the
// low half away. So the kernel needs x de-interleaved in chunks of 2·V: `deinterleave(planes: 2)`.
//
// Q8 (llama.cpp's Q8_0): W[j, p] = scale[j, p / 32] · q[j, p], q an Int8 in [-127, 127]. V bytes
// are loaded with sign extension into V Int32 lanes and converted to FP32 (vpmovsxbd + vcvtdq2ps
// on x86), against x in its natural order; a block's partial sums are multiplied by its scale.
//
// Both kernels compute the four rows of a quad per pass (RowQuadLayout.swift: the quad's values
// are one contiguous stream) and prefetch the stream a little ahead (`prefetchStream`): the
// weights are streamed from memory once per product.
//
// Each output is one reduction in a fixed order that depends only on k and V, never on which
// quads a thread computes: results are bitwise identical for any thread count. The tail of k
// (k mod 32) of a BF16 row runs in scalar fused steps.

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

/// y[j] = Σ_p x[p] · W[j, p] + bias[j] for the rows j < `rows` of the quads in `quads`; W BF16 bit
/// patterns in the row-quad layout (`RowQuadLayout`, chunks of 32), `xPermuted` (k) from
/// `deinterleave(planes: 2)` with V's width over the first k − k mod 32 values (the rest as is).
/// A quad's four rows share the loads of x; the stream is prefetched `prefetchDistance` ahead.
@inlinable @inline(__always)
package func bf16DotRows<V: SIMD, U: SIMD>(_: V.Type, _: U.Type, quads: Range<Int>, rows: Int, k: Int,
                                           xPermuted: UnsafePointer<Float>,
                                           weights: UnsafePointer<UInt16>,
                                           bias: UnsafePointer<Float>?, y: UnsafeMutablePointer<Float>)
where V.Scalar == Float, U.Scalar == UInt32 {
    let w = V.scalarCount
    let L = quantizedChunk
    let full = k - k % L
    let tail = k - full
    let highHalf = U(repeating: 0xFFFF_0000)
    let xRaw = UnsafeRawPointer(xPermuted)
    for quad in quads {
        let stream = UnsafeRawPointer(weights + quad * quantizedQuadRows * k)
        var e0 = V(), e1 = V(), e2 = V(), e3 = V()
        var o0 = V(), o1 = V(), o2 = V(), o3 = V()
        var p = 0
        while p < full {
            let chunk = stream + p * quantizedQuadRows * 2  // 4 rows × 32 values × 2 bytes
            prefetchStream(chunk + prefetchDistance, bytes: quantizedQuadRows * L * 2)
            var s = 0
            while s < L {
                let xe = xRaw.loadUnaligned(fromByteOffset: (p + s) * 4, as: V.self)
                let xo = xRaw.loadUnaligned(fromByteOffset: (p + s + w) * 4, as: V.self)
                var u = chunk.loadUnaligned(fromByteOffset: s * 2, as: U.self)
                e0 = e0.addingProduct(xe, unsafeBitCast(u &<< 16, to: V.self))
                o0 = o0.addingProduct(xo, unsafeBitCast(u & highHalf, to: V.self))
                u = chunk.loadUnaligned(fromByteOffset: (L + s) * 2, as: U.self)
                e1 = e1.addingProduct(xe, unsafeBitCast(u &<< 16, to: V.self))
                o1 = o1.addingProduct(xo, unsafeBitCast(u & highHalf, to: V.self))
                u = chunk.loadUnaligned(fromByteOffset: (2 * L + s) * 2, as: U.self)
                e2 = e2.addingProduct(xe, unsafeBitCast(u &<< 16, to: V.self))
                o2 = o2.addingProduct(xo, unsafeBitCast(u & highHalf, to: V.self))
                u = chunk.loadUnaligned(fromByteOffset: (3 * L + s) * 2, as: U.self)
                e3 = e3.addingProduct(xe, unsafeBitCast(u &<< 16, to: V.self))
                o3 = o3.addingProduct(xo, unsafeBitCast(u & highHalf, to: V.self))
                s += 2 * w
            }
            p += L
        }
        var s0 = (e0 + o0).sum(), s1 = (e1 + o1).sum(), s2 = (e2 + o2).sum(), s3 = (e3 + o3).sum()
        // The tail columns, row after row: (4, tail) after the chunks.
        let rest = weights + quad * quantizedQuadRows * k + quantizedQuadRows * full
        for t in 0..<tail {
            let xp = xPermuted[full + t]
            s0 = s0.addingProduct(xp, Float(bitPattern: UInt32(rest[t]) << 16))
            s1 = s1.addingProduct(xp, Float(bitPattern: UInt32(rest[tail + t]) << 16))
            s2 = s2.addingProduct(xp, Float(bitPattern: UInt32(rest[2 * tail + t]) << 16))
            s3 = s3.addingProduct(xp, Float(bitPattern: UInt32(rest[3 * tail + t]) << 16))
        }
        storeQuad(quad, rows: rows, (s0, s1, s2, s3), bias: bias, y: y)
    }
}

/// y[j] = Σ_b scale[j, b] · Σ_{p in block b} x[p] · q[j, p] + bias[j] for the rows j < `rows` of
/// the quads in `quads`; q Int8 in the row-quad layout (chunks of one block of 32), scales in the
/// row-quad layout with chunks of 1, k a multiple of 32, x (k) in its natural order. V of 8 or 16
/// lanes: a block is 32 / V vectors, each read by `widen` (V Int8 at an address → V FP32: a
/// sign-extending load and a conversion, which the standard library offers only on the concrete
/// SIMD types). A quad's four rows share the loads of x; the stream is prefetched
/// `prefetchDistance` ahead.
@inlinable @inline(__always)
package func q8DotRows<V: SIMD>(_: V.Type, quads: Range<Int>, rows: Int, k: Int, x: UnsafePointer<Float>,
                                quants: UnsafePointer<Int8>, scales: UnsafePointer<Float>,
                                bias: UnsafePointer<Float>?, y: UnsafeMutablePointer<Float>,
                                widen: (UnsafeRawPointer) -> V)
where V.Scalar == Float {
    let w = V.scalarCount
    let blocksPerRow = k / q8BlockSize
    let xRaw = UnsafeRawPointer(x)

    /// Σ over one block of x · q, as (V) partial sums: the block's 32 / V vectors in one chain of
    /// a multiply and fused multiply-adds (one operation fewer per block and row than two chains
    /// and their sum; the four rows' chains and the next blocks hide the latency).
    @inline(__always)
    func blockProduct(_ row: UnsafeRawPointer, _ xs: (V, V, V, V)) -> V {
        @inline(__always)
        func weights(_ i: Int) -> V { widen(row + i * w) }
        if w == 16 { return (xs.0 * weights(0)).addingProduct(xs.1, weights(1)) }
        return (xs.0 * weights(0)).addingProduct(xs.1, weights(1)).addingProduct(xs.2, weights(2)).addingProduct(xs.3, weights(3))
    }

    for quad in quads {
        let stream = UnsafeRawPointer(quants + quad * quantizedQuadRows * k)
        let quadScales = scales + quad * quantizedQuadRows * blocksPerRow  // (blocks, 4)
        var a0 = V(), a1 = V(), a2 = V(), a3 = V()
        for block in 0..<blocksPerRow {
            let p = block * q8BlockSize
            let xs = (xRaw.loadUnaligned(fromByteOffset: p * 4, as: V.self),
                      xRaw.loadUnaligned(fromByteOffset: (p + w) * 4, as: V.self),
                      w == 16 ? V() : xRaw.loadUnaligned(fromByteOffset: (p + 2 * w) * 4, as: V.self),
                      w == 16 ? V() : xRaw.loadUnaligned(fromByteOffset: (p + 3 * w) * 4, as: V.self))
            let chunk = stream + p * quantizedQuadRows  // 4 rows × 32 bytes
            prefetchStream(chunk + prefetchDistance, bytes: quantizedQuadRows * q8BlockSize)
            let s = quadScales + block * quantizedQuadRows
            a0 = a0.addingProduct(V(repeating: s[0]), blockProduct(chunk, xs))
            a1 = a1.addingProduct(V(repeating: s[1]), blockProduct(chunk + q8BlockSize, xs))
            a2 = a2.addingProduct(V(repeating: s[2]), blockProduct(chunk + 2 * q8BlockSize, xs))
            a3 = a3.addingProduct(V(repeating: s[3]), blockProduct(chunk + 3 * q8BlockSize, xs))
        }
        storeQuad(quad, rows: rows, (a0.sum(), a1.sum(), a2.sum(), a3.sum()), bias: bias, y: y)
    }
}

/// y[j] = sums[r] + bias[j] for the rows j = 4·quad + r that exist (j < rows): the padding rows
/// of the last quad are computed and dropped.
@inlinable @inline(__always)
package func storeQuad(_ quad: Int, rows: Int, _ sums: (Float, Float, Float, Float),
                       bias: UnsafePointer<Float>?, y: UnsafeMutablePointer<Float>) {
    let j = quad * quantizedQuadRows
    y[j] = sums.0 + (bias?[j] ?? 0)
    if j + 1 < rows { y[j + 1] = sums.1 + (bias?[j + 1] ?? 0) }
    if j + 2 < rows { y[j + 2] = sums.2 + (bias?[j + 2] ?? 0) }
    if j + 3 < rows { y[j + 3] = sums.3 + (bias?[j + 3] ?? 0) }
}

/// How far ahead of a pass the weight stream is prefetched: a few chunks, enough to cover the
/// memory latency at the rate one core consumes a stream.
@usableFromInline let prefetchDistance = 1024

/// Asks the CPU to fetch the `bytes` (a multiple of 64) at `address` as non-temporal data: the
/// weights are streamed once per product. Prefetches never fault, so the last chunks of a
/// matrix may ask for lines past its end.
@inlinable @inline(__always)
package func prefetchStream(_ address: UnsafeRawPointer, bytes: Int) {
    var offset = 0
    while offset < bytes {
        attn_shim_prefetch(address + offset)
        offset += 64
    }
}
