import AttentionEngine
import XCTest

/// The fused backward against finite differences of an independent Double forward (small
/// shapes, every element) and against the naive backward (the issue's shapes).
///
/// Tolerances: central differences in Double with step 1e-6 are exact to ~1e-9, so the Double
/// naive backward must agree to float rounding (|Δ| <= 1e-5). The fused backward works in float
/// from a float lse; gradients here are O(0.1–1) sums over <= 300 terms, so |Δ| <= 1e-4 + 1e-4·|g|.
/// The fused comparisons run the kernels of each ISA this CPU executes (`testedISAs`).
final class AttentionBackwardTests: XCTestCase {
    private func gradientsByFiniteDifferences(_ inputs: AttentionInputs, dout: [Float])
        -> AttentionInputs.Gradients {
        let q = inputs.q.map(Double.init), k = inputs.k.map(Double.init), v = inputs.v.map(Double.init)
        func gradient(_ x: [Double], _ loss: ([Double]) -> Double) -> [Float] {
            x.indices.map { Float(finiteDifference(x, index: $0, loss)) }
        }
        return AttentionInputs.Gradients(
            dq: gradient(q) { inputs.lossInDouble(q: $0, k: k, v: v, dout: dout) },
            dk: gradient(k) { inputs.lossInDouble(q: q, k: $0, v: v, dout: dout) },
            dv: gradient(v) { inputs.lossInDouble(q: q, k: k, v: $0, dout: dout) })
    }

    private func assertGradientsClose(_ actual: AttentionInputs.Gradients,
                                      _ expected: AttentionInputs.Gradients, absolute: Float,
                                      relative: Float, _ label: String,
                                      file: StaticString = #filePath, line: UInt = #line) {
        assertClose(actual.dq, expected.dq, absolute: absolute, relative: relative, "dq \(label)", file: file, line: line)
        assertClose(actual.dk, expected.dk, absolute: absolute, relative: relative, "dk \(label)", file: file, line: line)
        assertClose(actual.dv, expected.dv, absolute: absolute, relative: relative, "dv \(label)", file: file, line: line)
    }

    func testAgainstFiniteDifferences() {
        // (Tq, Tk, HS, causal), every mask kind; HS 17 leaves a scalar column tail.
        let cases = [(5, 5, 16, true), (5, 7, 16, true), (7, 5, 17, false), (6, 70, 16, true),
                     (1, 9, 16, false)]
        for (index, (Tq, Tk, HS, causal)) in cases.enumerated() {
            for padding in [AttentionInputs.Padding.none, .random] {
                let shape = AttentionShape(batch: 2, heads: 1, queryLength: Tq, keyLength: Tk,
                                           headSize: HS, causal: causal)
                let inputs = AttentionInputs(shape, padding: padding, seed: UInt64(30 + index))
                var random = TestRandom(seed: 99)
                let dout = random.floats(shape.queryCount)
                let expected = gradientsByFiniteDifferences(inputs, dout: dout)
                let label = "\(shape) padding: \(padding)"
                assertGradientsClose(inputs.backward(dout: dout), expected, absolute: 1e-5,
                                     relative: 0, "naive \(label)")
                for isa in testedISAs {
                    assertGradientsClose(inputs.backward(dout: dout, forward: inputs.forward(isa: isa), isa: isa),
                                         expected, absolute: 1e-4, relative: 1e-4, "fused \(label) \(isa)")
                }
            }
        }
    }

    func testAgainstNaiveForIssueShapes() {
        var seed: UInt64 = 40
        let shapes = [(1, 1), (2, 2), (17, 17), (64, 64), (65, 65), (300, 300), (17, 65), (65, 17),
                      (64, 300)]
        for (Tq, Tk) in shapes {
            for HS in [16, 32, 64, 80] where Tq * Tk * HS <= 300 * 300 * 32 {
                let causal = Tq <= Tk && seed % 2 == 0
                let shape = AttentionShape(batch: 2, heads: 1, queryLength: Tq, keyLength: Tk,
                                           headSize: HS, causal: causal)
                let inputs = AttentionInputs(shape, padding: seed % 3 == 0 ? .random : .none,
                                             seed: seed)
                var random = TestRandom(seed: seed)
                let dout = random.floats(shape.queryCount)
                let naive = inputs.backward(dout: dout)
                for isa in testedISAs {
                    assertGradientsClose(inputs.backward(dout: dout, forward: inputs.forward(isa: isa), isa: isa),
                                         naive, absolute: 1e-4, relative: 1e-4, "\(shape) \(isa)")
                }
                seed += 1
            }
        }
    }

    /// HS 128 (16 SIMD8 vectors: tiles 3+3+3+3+2+2 on AVX2) and HS 80 at odd lengths across
    /// the 64-query block and 64-key tile boundaries, causal and padded.
    func testTileHeadSizesAtOddLengths() {
        for (index, (T, HS, causal)) in [(131, 128, true), (75, 128, false), (131, 80, true)].enumerated() {
            let shape = AttentionShape(batch: 2, heads: 1, queryLength: T, keyLength: T,
                                       headSize: HS, causal: causal)
            let inputs = AttentionInputs(shape, padding: index == 1 ? .none : .random,
                                         seed: UInt64(70 + index))
            var random = TestRandom(seed: UInt64(80 + index))
            let dout = random.floats(shape.queryCount)
            let naive = inputs.backward(dout: dout)
            for isa in testedISAs {
                assertGradientsClose(inputs.backward(dout: dout, forward: inputs.forward(isa: isa), isa: isa),
                                     naive, absolute: 1e-4, relative: 1e-4, "\(shape) \(isa)")
            }
        }
    }

    func testRowsWithoutVisibleKeysHaveZeroGradients() {
        // The second batch has every key padded: all its gradients are exactly 0.
        let shape = AttentionShape(batch: 2, heads: 2, queryLength: 20, keyLength: 20,
                                   headSize: 16, causal: true)
        let inputs = AttentionInputs(shape, padding: .random, seed: 7)
        var random = TestRandom(seed: 8)
        let g = inputs.backward(dout: random.floats(shape.queryCount), forward: inputs.forward())
        let zeros = [Float](repeating: 0, count: shape.queryCount / 2)
        XCTAssertEqual(Array(g.dq[(shape.queryCount / 2)...]), zeros)
        XCTAssertEqual(Array(g.dk[(shape.keyCount / 2)...]), zeros)
        XCTAssertEqual(Array(g.dv[(shape.keyCount / 2)...]), zeros)
        XCTAssertFalse((g.dq + g.dk + g.dv).contains { !$0.isFinite })
    }

    func testBitwiseIdenticalForAnyThreadCount() {
        let shape = AttentionShape(batch: 1, heads: 3, queryLength: 130, keyLength: 200,
                                   headSize: 64, causal: true)
        let inputs = AttentionInputs(shape, padding: .random, seed: 11)
        let forward = inputs.forward()
        var random = TestRandom(seed: 12)
        let dout = random.floats(shape.queryCount)
        let runs = withThreadCounts { inputs.backward(dout: dout, forward: forward) }
        for run in runs.dropFirst() {
            assertBitwiseEqual(run.dq, runs[0].dq)
            assertBitwiseEqual(run.dk, runs[0].dk)
            assertBitwiseEqual(run.dv, runs[0].dv)
        }
    }
}
