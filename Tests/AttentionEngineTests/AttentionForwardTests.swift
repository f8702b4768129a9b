import AttentionEngine
import XCTest

/// The fused forward against the naive reference (Double arithmetic), over the shapes.
///
/// Tolerances: outputs are convex combinations of values in [-1, 1]; the fused kernel's error
/// comes from float dot products over HS <= 128, `vectorExp` (<= 2 ulp) and sums over <= 300
/// keys, a few 1e-7 in practice, so |Δout| <= 2e-5 and |Δlse| <= 2e-5 + 1e-5·|lse| leave a wide
/// margin while catching any masking or rescaling mistake (those are O(0.01) or larger).
///
/// Every comparison runs the kernels of each ISA this CPU executes (`testedISAs`).
final class AttentionForwardTests: XCTestCase {
    private func assertMatchesNaive(_ inputs: AttentionInputs, probabilities: Bool = false,
                                    file: StaticString = #filePath, line: UInt = #line) {
        let naive = inputs.forward(naive: true, probabilities: probabilities)
        for isa in testedISAs {
            assertMatchesNaive(inputs, naive, probabilities: probabilities, isa: isa, file: file,
                               line: line)
        }
    }

    private func assertMatchesNaive(_ inputs: AttentionInputs, _ naive: AttentionInputs.Forward,
                                    probabilities: Bool, isa: KernelISA,
                                    file: StaticString, line: UInt) {
        let fused = inputs.forward(probabilities: probabilities, isa: isa)
        let label = "\(inputs.shape) padding: \(inputs.keyPaddingMask != nil) isa: \(isa)"
        assertClose(fused.out, naive.out, absolute: 2e-5, "out \(label)", file: file, line: line)
        assertLseClose(fused.lse, naive.lse, absolute: 2e-5, relative: 1e-5, "lse \(label)",
                    file: file, line: line)
        if probabilities {
            assertClose(fused.probs!, naive.probs!, absolute: 2e-6, relative: 1e-5,
                        "probs \(label)", file: file, line: line)
        }
    }

    func testSelfAttentionShapesAndMasks() {
        var seed: UInt64 = 1
        for T in [1, 2, 17, 64, 65, 300] {
            for HS in [16, 32, 64, 80] {
                // Rotate the four mask kinds across head sizes so every T sees each of them.
                let kind = (HS / 16 + T) % 4
                let shape = AttentionShape(batch: 2, heads: 2, queryLength: T, keyLength: T,
                                           headSize: HS, causal: kind % 2 == 1)
                let inputs = AttentionInputs(shape, padding: kind >= 2 ? .random : .none,
                                             seed: seed)
                assertMatchesNaive(inputs)
                seed += 1
            }
        }
    }

    func testCrossAttentionAndCachedCausal() {
        // (Tq, Tk, causal): Tq < Tk causal is aligned to the end of the keys.
        let cases = [(17, 65, true), (64, 300, true), (2, 300, true), (65, 17, false),
                     (300, 64, false), (3, 129, false), (1, 300, true)]
        for (index, (Tq, Tk, causal)) in cases.enumerated() {
            for padding in [AttentionInputs.Padding.none, .random] {
                let shape = AttentionShape(batch: 2, heads: 3, queryLength: Tq, keyLength: Tk,
                                           headSize: 32, causal: causal)
                assertMatchesNaive(AttentionInputs(shape, padding: padding, seed: UInt64(index)))
            }
        }
    }

    /// The head sizes the tiles are shaped for, 32, 64, 80 and 128 (4, 8, 10 and 16 SIMD8
    /// vectors, split 2+2, 3+3+2, 3+3+2+2 and 3+3+3+3+2+2 on AVX2), at odd lengths across the
    /// query block (64; 48 on AVX2), 64-key tile and 256-query chunk boundaries (AVX2's 288 is
    /// crossed by T 300 in testSelfAttentionShapesAndMasks), every mask kind; plus the
    /// thread-count independence at HS 128 over two chunks.
    func testTileHeadSizesAtOddLengths() {
        var seed: UInt64 = 60
        for (index, HS) in [32, 64, 80, 128].enumerated() {
            for (position, T) in [75, 131, 257].enumerated() {
                let kind = (index + position) % 4
                let shape = AttentionShape(batch: 1, heads: 2, queryLength: T, keyLength: T,
                                           headSize: HS, causal: kind % 2 == 1)
                assertMatchesNaive(AttentionInputs(shape, padding: kind >= 2 ? .random : .none,
                                                   seed: seed))
                seed += 1
            }
        }
        let shape = AttentionShape(batch: 1, heads: 3, queryLength: 300, keyLength: 300,
                                   headSize: 128, causal: true)
        let inputs = AttentionInputs(shape, padding: .random, seed: 6)
        let runs = withThreadCounts { inputs.forward() }
        for run in runs.dropFirst() {
            assertBitwiseEqual(run.out, runs[0].out)
            assertBitwiseEqual(run.lse, runs[0].lse)
        }
    }

    func testHeadSizesOffTheVectorWidth() {
        for HS in [1, 3, 17, 63, 65, 100] {
            let shape = AttentionShape(batch: 1, heads: 2, queryLength: 70, keyLength: 70,
                                       headSize: HS, causal: true)
            assertMatchesNaive(AttentionInputs(shape, seed: UInt64(HS)))
        }
    }

    func testLargeScoresStayStable() {
        // Scores up to ~±100 after scaling: the running max must be rescaled correctly.
        let shape = AttentionShape(batch: 1, heads: 2, queryLength: 150, keyLength: 150,
                                   headSize: 64, causal: false, scale: 1)
        let inputs = AttentionInputs(shape, seed: 9, range: 3)
        let fused = inputs.forward()
        let naive = inputs.forward(naive: true)
        XCTAssertFalse(fused.out.contains { !$0.isFinite })
        assertClose(fused.out, naive.out, absolute: 1e-4)
        assertLseClose(fused.lse, naive.lse, absolute: 0, relative: 1e-5)
    }

    func testProbabilitiesOnRequest() {
        let shape = AttentionShape(batch: 2, heads: 2, queryLength: 65, keyLength: 130,
                                   headSize: 16, causal: true)
        let inputs = AttentionInputs(shape, padding: .random, seed: 3)
        assertMatchesNaive(inputs, probabilities: true)
        // Asking for the probabilities does not change the output, and each visible row sums to 1.
        let with = inputs.forward(probabilities: true)
        XCTAssertEqual(with.out.map(\.bitPattern), inputs.forward().out.map(\.bitPattern))
        for row in 0..<(shape.headCount * shape.queryLength) where with.lse[row] != -.infinity {
            let sum = with.probs![(row * shape.keyLength)..<((row + 1) * shape.keyLength)].reduce(0, +)
            XCTAssertEqual(sum, 1, accuracy: 1e-5)
        }
        // A single query with probabilities takes the tiled path, not the decode path.
        let single = AttentionInputs(AttentionShape(batch: 1, heads: 2, queryLength: 1,
                                                    keyLength: 70, headSize: 16, causal: true))
        assertMatchesNaive(single, probabilities: true)
    }

    func testRowsWithoutVisibleKeysAreZero() {
        // The last batch has every key padded: out 0, lse -inf, no NaN.
        let shape = AttentionShape(batch: 2, heads: 2, queryLength: 33, keyLength: 33,
                                   headSize: 16, causal: true)
        let result = AttentionInputs(shape, padding: .random, seed: 4).forward(probabilities: true)
        let half = shape.queryCount / 2
        XCTAssertEqual(Array(result.out[half...]), [Float](repeating: 0, count: half))
        XCTAssertTrue(result.lse[(shape.headCount * 33 / 2)...].allSatisfy { $0 == -.infinity })
        XCTAssertTrue(result.probs![(shape.probabilityCount / 2)...].allSatisfy { $0 == 0 })
        XCTAssertFalse(result.out.contains { $0.isNaN })
        // No keys at all (Tk = 0, not causal) behaves the same.
        let empty = AttentionInputs(AttentionShape(batch: 1, heads: 2, queryLength: 5,
                                                   keyLength: 0, headSize: 8, causal: false))
        let emptyResult = empty.forward()
        XCTAssertEqual(emptyResult.out, [Float](repeating: 0, count: 2 * 5 * 8))
        XCTAssertEqual(emptyResult.lse, [Float](repeating: -.infinity, count: 2 * 5))
    }

    func testEmptyDimensions() {
        for shape in [AttentionShape(batch: 0, heads: 2, queryLength: 4, keyLength: 4, headSize: 8, causal: true),
                      AttentionShape(batch: 1, heads: 0, queryLength: 4, keyLength: 4, headSize: 8, causal: false),
                      AttentionShape(batch: 1, heads: 2, queryLength: 0, keyLength: 4, headSize: 8, causal: true)] {
            let result = AttentionInputs(shape).forward()
            XCTAssertEqual(result.out, [])
            XCTAssertEqual(result.lse, [])
        }
    }

    /// With `keyCapacity`, k and v are (B,NH,capacity,HS) and only the first Tk rows of each
    /// head are read (rows past them hold NaN here): bitwise the same output, lse and
    /// probabilities as the contiguous (B,NH,Tk,HS) buffers, on the decode path (Tq 1, over
    /// several 256-key segments), the tiled path (Tq 70 > one 64-key tile) and with
    /// probabilities.
    func testKeyCapacityReadsTheFirstRowsOfEachHead() {
        for (Tq, Tk, probabilities) in [(1, 300, false), (70, 300, false), (3, 70, true), (1, 1, false)] {
            let shape = AttentionShape(batch: 2, heads: 3, queryLength: Tq, keyLength: Tk,
                                       headSize: 17, causal: true)
            let inputs = AttentionInputs(shape, seed: UInt64(Tq + Tk))
            let capacity = Tk + 5, HS = shape.headSize
            var k = [Float](repeating: .nan, count: shape.headCount * capacity * HS)
            var v = k
            for head in 0..<shape.headCount {
                for i in 0..<Tk * HS {
                    k[head * capacity * HS + i] = inputs.k[head * Tk * HS + i]
                    v[head * capacity * HS + i] = inputs.v[head * Tk * HS + i]
                }
            }
            var out = [Float](repeating: .nan, count: shape.queryCount)
            var lse = [Float](repeating: .nan, count: shape.headCount * Tq)
            var probs = [Float](repeating: .nan, count: shape.probabilityCount)
            probs.withUnsafeMutableBufferPointer { probs in
                attentionForward(out: &out, lse: &lse, probs: probabilities ? probs.baseAddress : nil,
                                 q: inputs.q, k: k, v: v, keyPaddingMask: nil, shape: shape,
                                 keyCapacity: capacity)
            }
            let expected = inputs.forward(probabilities: probabilities)
            assertBitwiseEqual(out, expected.out)
            assertBitwiseEqual(lse, expected.lse)
            if probabilities { assertBitwiseEqual(probs, expected.probs!) }
        }
    }

    func testBitwiseIdenticalForAnyThreadCount() {
        let shape = AttentionShape(batch: 1, heads: 3, queryLength: 300, keyLength: 300,
                                   headSize: 64, causal: true)
        let inputs = AttentionInputs(shape, seed: 5)
        let runs = withThreadCounts { inputs.forward(probabilities: true) }
        for run in runs.dropFirst() {
            assertBitwiseEqual(run.out, runs[0].out)
            assertBitwiseEqual(run.lse, runs[0].lse)
            assertBitwiseEqual(run.probs!, runs[0].probs!)
        }
    }

    func testShapeValidation() {
        func fails(_ shape: AttentionShape, _ kind: AttentionError.Kind) {
            XCTAssertThrowsError(try shape.validate(), "\(shape)") { error in
                XCTAssertEqual((error as? AttentionError)?.kind, kind, "\(shape)")
            }
        }
        fails(AttentionShape(batch: -1, heads: 1, queryLength: 1, keyLength: 1, headSize: 8, causal: false), .shape)
        fails(AttentionShape(batch: 1, heads: 1, queryLength: 1, keyLength: 1, headSize: 0, causal: false), .shape)
        fails(AttentionShape(batch: 1, heads: 1, queryLength: 5, keyLength: 4, headSize: 8, causal: true), .shape)
        fails(AttentionShape(batch: 1 << 40, heads: 1 << 20, queryLength: 8, keyLength: 8, headSize: 8, causal: false), .shape)
        fails(AttentionShape(batch: 1, heads: 1, queryLength: 1, keyLength: 1, headSize: 8, causal: false, scale: .nan), .invalidArgument)
        XCTAssertNoThrow(try AttentionShape(batch: 1, heads: 1, queryLength: 4, keyLength: 4, headSize: 64, causal: true).validate())
        XCTAssertEqual(AttentionShape(batch: 1, heads: 1, queryLength: 1, keyLength: 1, headSize: 64, causal: false).scale, 0.125)
    }
}
