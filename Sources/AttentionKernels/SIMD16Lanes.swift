/// Loads and stores of SIMD16<Float> lanes from raw pointers, including partial vectors for row
/// tails, so that the last `n % 16` elements of a row go through exactly the same vector
/// arithmetic as the others (no separate scalar tail code to keep in sync), and lane
/// reductions in a fixed order (the standard library's `.max()` and `.sum()` are scalar code).

/// Loads 16 floats at `p` (unaligned).
@inlinable @inline(__always)
package func load16(_ p: UnsafePointer<Float>) -> SIMD16<Float> {
    UnsafeRawPointer(p).loadUnaligned(as: SIMD16<Float>.self)
}

/// Stores 16 floats at `p` (unaligned).
@inlinable @inline(__always)
package func store16(_ value: SIMD16<Float>, _ p: UnsafeMutablePointer<Float>) {
    UnsafeMutableRawPointer(p).storeBytes(of: value, as: SIMD16<Float>.self)
}

/// Loads `count` (0...16) floats at `p` into the low lanes; the other lanes hold `fill`.
@inlinable @inline(__always)
package func loadPartial16(_ p: UnsafePointer<Float>, count: Int, fill: Float) -> SIMD16<Float> {
    if count >= 16 { return load16(p) }
    var value = SIMD16<Float>(repeating: fill)
    for i in 0..<count { value[i] = p[i] }
    return value
}

/// Stores the low `count` (0...16) lanes of `value` at `p`.
@inlinable @inline(__always)
package func storePartial16(_ value: SIMD16<Float>, _ p: UnsafeMutablePointer<Float>, count: Int) {
    if count >= 16 { store16(value, p); return }
    for i in 0..<count { p[i] = value[i] }
}

/// Largest lane, reduced in a fixed order (the standard library's `.max()` is scalar code).
@inlinable @inline(__always)
package func maxOfLanes(_ v: SIMD16<Float>) -> Float {
    let a = v.lowHalf.replacing(with: v.highHalf, where: v.highHalf .> v.lowHalf)
    let b = a.lowHalf.replacing(with: a.highHalf, where: a.highHalf .> a.lowHalf)
    let c = b.lowHalf.replacing(with: b.highHalf, where: b.highHalf .> b.lowHalf)
    return c[1] > c[0] ? c[1] : c[0]
}

/// Lane-wise maximum (`pointwiseMax` in the standard library is scalar code).
@inlinable @inline(__always)
package func laneMax(_ a: SIMD16<Float>, _ b: SIMD16<Float>) -> SIMD16<Float> {
    a.replacing(with: b, where: b .> a)
}

/// Sum of the lanes in a fixed pairwise order (the same for every call, whatever the thread).
@inlinable @inline(__always)
package func sumOfLanes(_ v: SIMD16<Float>) -> Float {
    let a = v.lowHalf + v.highHalf
    let b = a.lowHalf + a.highHalf
    let c = b.lowHalf + b.highHalf
    return c[0] + c[1]
}

/// Σ a[i]·b[i] for i < count, in SIMD16 lanes (four independent accumulators) then a scalar
/// tail; the summation order depends only on `count`.
@inlinable @inline(__always)
package func dot(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, count: Int) -> Float {
    var s0 = SIMD16<Float>(), s1 = SIMD16<Float>(), s2 = SIMD16<Float>(), s3 = SIMD16<Float>()
    var i = 0
    while i + 64 <= count {
        s0 = s0.addingProduct(load16(a + i), load16(b + i))
        s1 = s1.addingProduct(load16(a + i + 16), load16(b + i + 16))
        s2 = s2.addingProduct(load16(a + i + 32), load16(b + i + 32))
        s3 = s3.addingProduct(load16(a + i + 48), load16(b + i + 48))
        i += 64
    }
    while i + 16 <= count {
        s0 = s0.addingProduct(load16(a + i), load16(b + i))
        i += 16
    }
    var sum = sumOfLanes((s0 + s1) + (s2 + s3))
    while i < count {
        sum = sum.addingProduct(a[i], b[i])
        i += 1
    }
    return sum
}
