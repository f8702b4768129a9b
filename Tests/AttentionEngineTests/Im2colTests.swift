import AttentionEngine
import XCTest

/// im2colForward/Backward against their references, the backward as the exact adjoint of the
/// forward, and the same bits on any thread count.
final class Im2colTests: XCTestCase {
    private let arena = TestArena()
    /// (B, T, C, K, dilation, padLeft): causal, "same", dilated, kernel longer than the sequence.
    private let cases = [(2, 7, 3, 3, 1, 2), (1, 9, 5, 3, 2, 2), (3, 5, 4, 2, 4, 4), (2, 6, 17, 5, 1, 0),
                         (1, 3, 2, 4, 3, 9)]

    func testForwardMatchesReferenceBitwise() {
        var random = TestRandom(seed: 41)
        for (B, T, C, K, dilation, pad) in cases {
            let inp = arena.buffer(random.floats(B * T * C))
            let fast = arena.buffer(repeating: Float.nan, count: B * T * C * K)
            let reference = arena.buffer(repeating: Float.nan, count: B * T * C * K)
            im2colForward(cols: fast, inp: inp, batch: B, time: T, channels: C, kernelSize: K, dilation: dilation, padLeft: pad)
            im2colForwardNaive(cols: reference, inp: inp, batch: B, time: T, channels: C, kernelSize: K,
                               dilation: dilation, padLeft: pad)
            assertBitwiseEqual(values(fast, B * T * C * K), values(reference, B * T * C * K))
        }
    }

    /// The backward against its Double reference (1e-6: Float sums of ≤ K terms of magnitude ≤ 1),
    /// and ⟨im2col(x), y⟩ = ⟨x, im2colᵀ(y)⟩ in Double (the backward is the forward's adjoint).
    func testBackwardMatchesReferenceAndIsTheAdjoint() {
        var random = TestRandom(seed: 42)
        for (B, T, C, K, dilation, pad) in cases {
            let x = random.floats(B * T * C), y = random.floats(B * T * C * K)
            let fast = arena.buffer(repeating: Float.nan, count: B * T * C)
            let reference = arena.buffer(repeating: Float.nan, count: B * T * C)
            im2colBackward(dinp: fast, dcols: arena.buffer(y), batch: B, time: T, channels: C, kernelSize: K,
                           dilation: dilation, padLeft: pad)
            im2colBackwardNaive(dinp: reference, dcols: arena.buffer(y), batch: B, time: T, channels: C, kernelSize: K,
                                dilation: dilation, padLeft: pad)
            assertClose(values(fast, B * T * C), values(reference, B * T * C), absolute: 1e-6)
            let cols = arena.buffer(repeating: Float.nan, count: B * T * C * K)
            im2colForwardNaive(cols: cols, inp: arena.buffer(x), batch: B, time: T, channels: C, kernelSize: K,
                               dilation: dilation, padLeft: pad)
            let left = zip(values(cols, B * T * C * K), y).reduce(0.0) { $0 + Double($1.0) * Double($1.1) }
            let right = zip(x, values(reference, B * T * C)).reduce(0.0) { $0 + Double($1.0) * Double($1.1) }
            XCTAssertEqual(left, right, accuracy: 1e-5, "B \(B) T \(T) C \(C) K \(K)")
        }
    }

    func testBackwardIsBitwiseIdenticalForAnyThreadCount() {
        var random = TestRandom(seed: 43)
        let (B, T, C, K) = (5, 33, 7, 3)
        let y = arena.buffer(random.floats(B * T * C * K))
        let results = withThreadCounts([1, 2, 3]) { () -> [Float] in
            let out = arena.buffer(repeating: Float.nan, count: B * T * C)
            im2colBackward(dinp: out, dcols: y, batch: B, time: T, channels: C, kernelSize: K, dilation: 2, padLeft: 4)
            return values(out, B * T * C)
        }
        for result in results.dropFirst() { assertBitwiseEqual(result, results[0]) }
    }
}
