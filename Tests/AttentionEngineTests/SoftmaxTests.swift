import AttentionEngine
import Foundation
import XCTest

/// softmaxForward/Backward against the Double reference, finite differences and edge cases.
final class SoftmaxTests: XCTestCase {
    private let arena = TestArena()

    private func forward(_ input: [Float], rows: Int, cols: Int, causal: Bool = false,
                         naive: Bool = false) -> [Float] {
        let inp = arena.buffer(input), out = arena.buffer(repeating: Float.nan, count: input.count)
        if naive {
            softmaxForwardNaive(out: out, inp: inp, rows: rows, cols: cols, causal: causal)
        } else {
            softmaxForward(out: out, inp: inp, rows: rows, cols: cols, causal: causal)
        }
        return values(out, input.count)
    }

    private func backward(dout: [Float], out: [Float], rows: Int, cols: Int, naive: Bool = false) -> [Float] {
        let dinp = arena.buffer(repeating: Float.nan, count: out.count)
        if naive {
            softmaxBackwardNaive(dinp: dinp, dout: arena.buffer(dout), out: arena.buffer(out),
                                 rows: rows, cols: cols)
        } else {
            softmaxBackward(dinp: dinp, dout: arena.buffer(dout), out: arena.buffer(out), rows: rows, cols: cols)
        }
        return values(dinp, out.count)
    }

    /// Fast vs Double reference; tolerance 4e-7 absolute + 2e-6 relative (vectorExp's 2 ulp plus
    /// Float summation of at most 255 terms). Each row sums to 1 within 1e-5.
    func testForwardMatchesReference() {
        var random = TestRandom(seed: 1)
        for rows in [1, 3, 17] {
            for cols in elementwiseTestSizes {
                let input = random.floats(rows * cols, -8, 8)
                let result = forward(input, rows: rows, cols: cols)
                assertClose(result, forward(input, rows: rows, cols: cols, naive: true),
                            absolute: 4e-7, relative: 2e-6, "rows \(rows) cols \(cols)")
                for r in 0..<rows {
                    XCTAssertEqual(result[r * cols..<(r + 1) * cols].reduce(0, +), 1, accuracy: 1e-5)
                }
            }
        }
    }

    func testCausalMaskMatchesReferenceAndZeroesFuture() {
        var random = TestRandom(seed: 2)
        for T in [1, 3, 17, 65] {
            let rows = 2 * T  // two stacked (T, T) score matrices
            let input = random.floats(rows * T, -5, 5)
            let result = forward(input, rows: rows, cols: T, causal: true)
            assertClose(result, forward(input, rows: rows, cols: T, causal: true, naive: true),
                        absolute: 4e-7, relative: 2e-6, "T \(T)")
            for r in 0..<rows {
                let visible = r % T + 1
                XCTAssertTrue(result[r * T + visible..<(r + 1) * T].allSatisfy { $0 == 0 }, "row \(r)")
                // The visible part is exactly an ordinary softmax of the first r % T + 1 entries.
                let plain = forward(Array(input[r * T..<r * T + visible]), rows: 1, cols: visible)
                assertBitwiseEqual(Array(result[r * T..<r * T + visible]), plain, "row \(r)")
            }
        }
    }

    func testEmptyShapesWriteNothing() {
        let out = arena.buffer(repeating: Float(7), count: 4), inp = arena.buffer(repeating: Float(1), count: 4)
        softmaxForward(out: out, inp: inp, rows: 0, cols: 4)
        softmaxForward(out: out, inp: inp, rows: 4, cols: 0, causal: true)
        softmaxBackward(dinp: out, dout: inp, out: inp, rows: 0, cols: 4)
        softmaxBackward(dinp: out, dout: inp, out: inp, rows: 4, cols: 0)
        XCTAssertEqual(values(out, 4), [7, 7, 7, 7])
    }

    func testInPlaceEqualsOutOfPlace() {
        var random = TestRandom(seed: 3)
        let input = random.floats(5 * 65, -4, 4)
        let buffer = arena.buffer(input)
        softmaxForward(out: buffer, inp: buffer, rows: 5, cols: 65)
        assertBitwiseEqual(values(buffer, input.count), forward(input, rows: 5, cols: 65))
    }

    func testExtremeInputsGiveNoNaN() {
        let inf = Float.infinity
        let input: [Float] = [1e30, -1e30, 0, 3e38,         // huge logits
                              -inf, 2, -inf, 1,             // masked entries
                              -inf, -inf, -inf, -inf,       // a fully masked row
                              -3e38, -3e38, -3e38, -3e38]   // equal huge negatives
        let result = forward(input, rows: 4, cols: 4)
        XCTAssertFalse(result.contains { $0.isNaN }, "\(result)")
        XCTAssertEqual(Array(result[0..<4]), [0, 0, 0, 1])
        XCTAssertEqual(result[4], 0)
        XCTAssertEqual(result[6], 0)
        XCTAssertEqual(result[5], Float(1 / (1 + exp(-1.0))), accuracy: 1e-6)
        XCTAssertEqual(Array(result[8..<12]), [0, 0, 0, 0])
        XCTAssertEqual(Array(result[12..<16]), [0.25, 0.25, 0.25, 0.25])
    }

    /// Backward vs the Double reference (1e-6 absolute + 1e-5 relative) and vs central finite
    /// differences of L = Σ dout ⊙ softmax(x) evaluated in Double (5e-6 absolute + 1e-4
    /// relative: the kernel works in Float on Float-rounded probabilities).
    func testBackwardMatchesReferenceAndFiniteDifferences() {
        var random = TestRandom(seed: 4)
        for cols in elementwiseTestSizes {
            let rows = 3
            let input = random.floats(rows * cols, -3, 3)
            let upstream = random.floats(rows * cols)
            let probabilities = forward(input, rows: rows, cols: cols)
            let result = backward(dout: upstream, out: probabilities, rows: rows, cols: cols)
            assertClose(result, backward(dout: upstream, out: probabilities, rows: rows, cols: cols, naive: true),
                        absolute: 1e-6, relative: 1e-5, "cols \(cols)")

            let x = input.map(Double.init), w = upstream.map(Double.init)
            func loss(_ x: [Double]) -> Double {
                var total = 0.0
                for r in 0..<rows {
                    let row = x[r * cols..<(r + 1) * cols]
                    let m = row.max()!
                    let e = row.map { exp($0 - m) }
                    let s = e.reduce(0, +)
                    for j in 0..<cols { total += w[r * cols + j] * e[j] / s }
                }
                return total
            }
            let numeric = (0..<rows * cols).map { Float(finiteDifference(x, index: $0, loss)) }
            assertClose(result, numeric, absolute: 5e-6, relative: 1e-4, "cols \(cols)")
        }
    }

    func testBitwiseIdenticalForAnyThreadCount() {
        var random = TestRandom(seed: 5)
        let rows = 300, cols = 257
        let input = random.floats(rows * cols, -10, 10)
        let upstream = random.floats(rows * cols)
        let results = withThreadCounts { () -> [Float] in
            let probabilities = forward(input, rows: rows, cols: cols)
            let causal = forward(Array(input[0..<cols * cols]), rows: cols, cols: cols, causal: true)
            return probabilities + causal + backward(dout: upstream, out: probabilities, rows: rows, cols: cols)
        }
        assertBitwiseEqual(results[0], results[1])
        assertBitwiseEqual(results[0], results[2])
    }
}
