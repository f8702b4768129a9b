import AttentionEngine
import XCTest

/// The single-query decode path (Tq == 1, taken by `attentionForward` itself) against the naive
/// reference. Same tolerances as AttentionForwardTests (|Δout| <= 2e-5, |Δlse| <= 2e-5 + 1e-5·|lse|):
/// the segment merge adds one rescaling per 256 keys, far below that bound. Every comparison runs
/// the kernels of each ISA this CPU executes (`testedISAs`).
final class AttentionDecodeTests: XCTestCase {
    func testAgainstNaiveAcrossCacheLengths() {
        var seed: UInt64 = 20
        // Tk 1, 2, 3, 17: the last four-key pass is partial; HS 64 and 128 take the 8-vector
        // output loop of both widths, 80 and 17 its tails.
        for Tk in [1, 2, 3, 17, 255, 256, 257, 1000] {
            for HS in [16, 17, 32, 64, 80, 128] {
                for padding in [AttentionInputs.Padding.none, .random] {
                    let shape = AttentionShape(batch: 2, heads: 2, queryLength: 1, keyLength: Tk,
                                               headSize: HS, causal: seed % 2 == 0)
                    let inputs = AttentionInputs(shape, padding: padding, seed: seed)
                    let naive = inputs.forward(naive: true)
                    for isa in testedISAs {
                        let fused = inputs.forward(isa: isa)
                        assertClose(fused.out, naive.out, absolute: 2e-5, "out \(shape) \(isa)")
                        assertLseClose(fused.lse, naive.lse, absolute: 2e-5, relative: 1e-5,
                                       "lse \(shape) \(isa)")
                    }
                    seed += 1
                }
            }
        }
    }

    func testFullyPaddedCacheGivesZero() {
        let shape = AttentionShape(batch: 2, heads: 1, queryLength: 1, keyLength: 300,
                                   headSize: 16, causal: true)
        let result = AttentionInputs(shape, padding: .random, seed: 2).forward()
        XCTAssertEqual(Array(result.out[16...]), [Float](repeating: 0, count: 16))
        XCTAssertEqual(result.lse[1], -.infinity)
        XCTAssertTrue(result.lse[0].isFinite)
        let empty = AttentionInputs(AttentionShape(batch: 1, heads: 2, queryLength: 1,
                                                   keyLength: 0, headSize: 8, causal: false))
        XCTAssertEqual(empty.forward().out, [Float](repeating: 0, count: 16))
    }

    /// A NaN query (e.g. a NaN weight) gives a NaN result for its head, as the naive reference
    /// and the prefill kernel do, instead of the zeros a skipped NaN maximum used to give; the
    /// other heads are unaffected. Short and segmented (> 256 keys) caches.
    func testNaNQueryIsNotHidden() {
        for Tk in [1, 5, 600] {
            let shape = AttentionShape(batch: 1, heads: 2, queryLength: 1, keyLength: Tk, headSize: 16, causal: true)
            var inputs = AttentionInputs(shape, seed: 9)
            inputs.q[3] = .nan  // head 0
            for isa in testedISAs {
                let result = inputs.forward(isa: isa)
                XCTAssertTrue(result.out[0..<16].allSatisfy(\.isNaN), "Tk \(Tk) \(isa): \(result.out[0..<16])")
                XCTAssertTrue(result.lse[0].isNaN, "Tk \(Tk) \(isa)")
                XCTAssertTrue(result.out[16...].allSatisfy(\.isFinite) && result.lse[1].isFinite, "Tk \(Tk) \(isa)")
            }
        }
    }

    /// A NaN in the last key of a partial four-key pass (its lane is repeated in the unused
    /// lanes) makes its head NaN exactly once, and the other head stays finite.
    func testNaNInTheLastKeyIsNotHidden() {
        for Tk in [5, 6, 263] {
            let shape = AttentionShape(batch: 1, heads: 2, queryLength: 1, keyLength: Tk, headSize: 16, causal: true)
            var inputs = AttentionInputs(shape, seed: 10)
            inputs.k[(Tk - 1) * 16 + 2] = .nan  // head 0, last key
            for isa in testedISAs {
                let result = inputs.forward(isa: isa)
                XCTAssertTrue(result.out[0..<16].allSatisfy(\.isNaN), "Tk \(Tk) \(isa)")
                XCTAssertTrue(result.lse[0].isNaN, "Tk \(Tk) \(isa)")
                XCTAssertTrue(result.out[16...].allSatisfy(\.isFinite) && result.lse[1].isFinite, "Tk \(Tk) \(isa)")
            }
        }
    }

    func testBitwiseIdenticalForAnyThreadCount() {
        // One head: the key segments are what runs in parallel. Both shapes are above the
        // size that runs on one thread (chunks of at least 16 segments at HS 64).
        for (heads, keys) in [(1, 5000), (5, 1000)] {
            let shape = AttentionShape(batch: 1, heads: heads, queryLength: 1, keyLength: keys,
                                       headSize: 64, causal: true)
            let inputs = AttentionInputs(shape, seed: 6)
            let runs = withThreadCounts { inputs.forward() }
            for run in runs.dropFirst() {
                assertBitwiseEqual(run.out, runs[0].out)
                assertBitwiseEqual(run.lse, runs[0].lse)
            }
        }
    }
}
