import AttentionEngine
import XCTest

/// The head split and merge kernels against their element-by-element references (exact: they
/// only copy or add once), for any thread count; the tensor ops against the permute/select
/// composition they replace, values and gradients bit for bit.
final class HeadLayoutTests: XCTestCase {
    private let arena = TestArena()

    /// (B, T, P, NH, HS): head sizes off the SIMD width, a single head, an empty time axis, and
    /// a size big enough to run on several threads.
    private let shapes = [(2, 3, 3, 2, 17), (1, 5, 2, 3, 1), (3, 1, 1, 1, 65), (2, 0, 3, 2, 4), (2, 64, 3, 4, 63)]

    func testKernelsMatchNaive() {
        var random = TestRandom(seed: 71)
        for (b, t, parts, nh, hs) in shapes {
            let count = b * t * parts * nh * hs, headCount = b * nh * t * hs
            let inp = random.floats(count), dout = random.floats(headCount), start = random.floats(count)
            for part in 0..<parts {
                let label = "B\(b) T\(t) P\(parts) NH\(nh) HS\(hs) part \(part)"
                let expected = arena.buffer(repeating: Float.nan, count: headCount)
                splitHeadsForwardNaive(out: expected, inp: arena.buffer(inp), batch: b, time: t, parts: parts,
                                       part: part, heads: nh, headSize: hs)
                let expectedGrad = arena.buffer(start)
                splitHeadsBackwardNaive(dinp: expectedGrad, dout: arena.buffer(dout), batch: b, time: t, parts: parts,
                                        part: part, heads: nh, headSize: hs)
                let results = withThreadCounts { () -> ([Float], [Float]) in
                    let out = arena.buffer(repeating: Float.nan, count: headCount)
                    splitHeadsForward(out: out, inp: arena.buffer(inp), batch: b, time: t, parts: parts, part: part,
                                      heads: nh, headSize: hs)
                    let grad = arena.buffer(start)
                    splitHeadsBackward(dinp: grad, dout: arena.buffer(dout), batch: b, time: t, parts: parts,
                                       part: part, heads: nh, headSize: hs)
                    return (values(out, headCount), values(grad, count))
                }
                for (out, grad) in results {
                    assertBitwiseEqual(out, values(expected, headCount), label)
                    assertBitwiseEqual(grad, values(expectedGrad, count), label)
                }
            }
            let merged = arena.buffer(repeating: Float.nan, count: headCount)
            mergeHeadsForwardNaive(out: merged, inp: arena.buffer(dout), batch: b, time: t, heads: nh, headSize: hs)
            let mergedResults = withThreadCounts { () -> [Float] in
                let out = arena.buffer(repeating: Float.nan, count: headCount)
                mergeHeadsForward(out: out, inp: arena.buffer(dout), batch: b, time: t, heads: nh, headSize: hs)
                return values(out, headCount)
            }
            for out in mergedResults {
                assertBitwiseEqual(out, values(merged, headCount), "merge B\(b) T\(t) NH\(nh) HS\(hs)")
            }
        }
    }

    /// splitHeads for every part, then mergedHeads, against reshape/permute/select: same values
    /// and the same gradient of the input for a weighted sum of all outputs.
    func testTensorOpsMatchPermuteComposition() throws {
        var random = TestRandom(seed: 72)
        for (b, t, parts, nh, hs) in shapes {
            let x = try Tensor(shape: [b, t, parts * nh * hs], values: random.floats(b * t * parts * nh * hs))
            let weights = try Tensor(shape: [b, t, nh * hs], values: random.floats(b * t * nh * hs))
            func run(fused: Bool) throws -> (values: [Float], grad: [Float]) {
                let input = x.requiringGrad()
                var loss = Tensor(0)
                var outputs: [Float] = []
                for part in 0..<parts {
                    let head: Tensor, merged: Tensor
                    if fused {
                        head = try input.splitHeads(nh, parts: parts, part: part)
                        merged = try head.mergedHeads()
                    } else {
                        head = try input.reshaped([b, t, parts, nh, hs]).permuted([2, 0, 3, 1, 4]).selected(0, index: part)
                        merged = try head.permuted([0, 2, 1, 3]).reshaped([b, t, nh * hs])
                    }
                    XCTAssertEqual(head.shape, [b, nh, t, hs])
                    XCTAssertEqual(merged.shape, [b, t, nh * hs])
                    outputs += head.scalars + merged.scalars
                    loss = try loss + (merged * weights * Float(part + 1)).sum()
                }
                try loss.backward()
                return (outputs, input.grad?.scalars ?? [])
            }
            let (fused, reference) = (try run(fused: true), try run(fused: false))
            assertBitwiseEqual(fused.values, reference.values, "B\(b) T\(t) P\(parts)")
            assertBitwiseEqual(fused.grad, reference.grad, "grad B\(b) T\(t) P\(parts)")
        }
    }

    func testBadShapesThrow() throws {
        let x = try Tensor.zeros([2, 3, 12])
        XCTAssertThrowsError(try x.splitHeads(5, parts: 3, part: 0))
        XCTAssertThrowsError(try x.splitHeads(2, parts: 3, part: 3))
        XCTAssertThrowsError(try x.splitHeads(0, parts: 3, part: 0))
        XCTAssertThrowsError(try Tensor.zeros([2, 12]).splitHeads(2, parts: 3, part: 0))
        XCTAssertThrowsError(try x.mergedHeads())
    }
}
