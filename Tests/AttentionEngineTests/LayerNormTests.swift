import AttentionEngine
import Foundation
import XCTest

/// layernormForward/Backward against the Double reference, finite differences and edge cases.
final class LayerNormTests: XCTestCase {
    private let arena = TestArena()

    private struct Forward { var out: [Float], mean: [Float], rstd: [Float] }

    private func forward(_ input: [Float], weight: [Float]?, bias: [Float]?, rows: Int, channels: Int,
                         naive: Bool = false) -> Forward {
        let out = arena.buffer(repeating: Float.nan, count: rows * channels)
        let mean = arena.buffer(repeating: Float.nan, count: rows)
        let rstd = arena.buffer(repeating: Float.nan, count: rows)
        let w = weight.map { UnsafePointer(arena.buffer($0)) }, b = bias.map { UnsafePointer(arena.buffer($0)) }
        if naive {
            layernormForwardNaive(out: out, mean: mean, rstd: rstd, inp: arena.buffer(input), weight: w,
                                  bias: b, rows: rows, channels: channels)
        } else {
            layernormForward(out: out, mean: mean, rstd: rstd, inp: arena.buffer(input), weight: w,
                             bias: b, rows: rows, channels: channels)
        }
        return Forward(out: values(out, rows * channels), mean: values(mean, rows), rstd: values(rstd, rows))
    }

    private struct Backward { var dinp: [Float], dweight: [Float], dbias: [Float] }

    /// dweight and dbias start at 0.5 to check that they accumulate.
    private func backward(dout: [Float], input: [Float], weight: [Float]?, mean: [Float], rstd: [Float],
                          rows: Int, channels: Int, naive: Bool = false) -> Backward {
        let dinp = arena.buffer(repeating: Float.nan, count: rows * channels)
        let dweight = arena.buffer(repeating: Float(0.5), count: channels)
        let dbias = arena.buffer(repeating: Float(0.5), count: channels)
        let w = weight.map { UnsafePointer(arena.buffer($0)) }
        let kernel = naive ? layernormBackwardNaive : layernormBackward
        kernel(dinp, dweight, dbias, arena.buffer(dout), arena.buffer(input), w, arena.buffer(mean),
               arena.buffer(rstd), rows, channels)
        return Backward(dinp: values(dinp, rows * channels), dweight: values(dweight, channels),
                        dbias: values(dbias, channels))
    }

    /// Tolerances: out 2e-6 absolute + 2e-6 relative (normalized values are O(1), a few ulp of
    /// Float rounding in mean, variance and rstd); mean and rstd 1e-6 relative.
    func testForwardMatchesReference() {
        var random = TestRandom(seed: 11)
        for rows in [1, 3, 17] {
            for channels in elementwiseTestSizes {
                let input = random.floats(rows * channels, -3, 5)
                let weight = random.floats(channels), bias = random.floats(channels)
                for (w, b) in [(weight, bias), (nil, nil)] as [([Float]?, [Float]?)] {
                    let fast = forward(input, weight: w, bias: b, rows: rows, channels: channels)
                    let reference = forward(input, weight: w, bias: b, rows: rows, channels: channels, naive: true)
                    let label = "rows \(rows) channels \(channels) affine \(w != nil)"
                    assertClose(fast.out, reference.out, absolute: 2e-6, relative: 2e-6, label)
                    assertClose(fast.mean, reference.mean, absolute: 1e-7, relative: 1e-6, label)
                    assertClose(fast.rstd, reference.rstd, absolute: 0, relative: 1e-6, label)
                }
            }
        }
    }

    func testConstantRowsAndLargeOffsetsStayFinite() {
        // A constant row has variance 0: out = bias, rstd = 1/sqrt(eps). A large common offset
        // must not cancel catastrophically (two-pass variance).
        let rows = 2, channels = 33
        var input = [Float](repeating: 3, count: channels)
        input += (0..<channels).map { 10_000 + Float($0 % 3) }
        let result = forward(input, weight: nil, bias: [Float](repeating: 0.25, count: channels),
                             rows: rows, channels: channels)
        XCTAssertTrue(result.out[0..<channels].allSatisfy { $0 == 0.25 })
        XCTAssertEqual(result.rstd[0], 1 / Float(1e-5).squareRoot(), accuracy: 1)
        let reference = forward(input, weight: nil, bias: [Float](repeating: 0.25, count: channels),
                                rows: rows, channels: channels, naive: true)
        assertClose(result.out, reference.out, absolute: 1e-5)
    }

    func testEmptyShapesWriteNothing() {
        let out = arena.buffer(repeating: Float(7), count: 4), inp = arena.buffer(repeating: Float(1), count: 4)
        layernormForward(out: out, mean: nil, rstd: nil, inp: inp, weight: nil, bias: nil, rows: 0, channels: 4)
        layernormForward(out: out, mean: nil, rstd: nil, inp: inp, weight: nil, bias: nil, rows: 4, channels: 0)
        layernormBackward(dinp: out, dweight: nil, dbias: nil, dout: inp, inp: inp, weight: nil,
                          mean: inp, rstd: inp, rows: 0, channels: 4)
        XCTAssertEqual(values(out, 4), [7, 7, 7, 7])
    }

    /// Backward vs the Double reference (dinp 1e-5 absolute + 1e-4 relative; dweight, dbias
    /// 1e-5 + 1e-5 relative) and vs central finite differences of
    /// L = Σ dout ⊙ layernorm(x; w, b) evaluated in Double (tolerance 2e-4 absolute + 1e-3
    /// relative: dinp is a difference of O(1) terms scaled by rstd, computed in Float).
    func testBackwardMatchesReferenceAndFiniteDifferences() {
        var random = TestRandom(seed: 12)
        let eps = 1e-5
        for channels in elementwiseTestSizes {
            let rows = 3
            let input = random.floats(rows * channels, -2, 2)
            let weight = random.floats(channels, 0.5, 1.5), bias = random.floats(channels)
            let upstream = random.floats(rows * channels)
            let stats = forward(input, weight: weight, bias: bias, rows: rows, channels: channels)
            let fast = backward(dout: upstream, input: input, weight: weight, mean: stats.mean,
                                rstd: stats.rstd, rows: rows, channels: channels)
            let reference = backward(dout: upstream, input: input, weight: weight, mean: stats.mean,
                                     rstd: stats.rstd, rows: rows, channels: channels, naive: true)
            let label = "channels \(channels)"
            assertClose(fast.dinp, reference.dinp, absolute: 1e-5, relative: 1e-4, label)
            assertClose(fast.dweight, reference.dweight, absolute: 1e-5, relative: 1e-5, label)
            assertClose(fast.dbias, reference.dbias, absolute: 1e-5, relative: 1e-5, label)

            // All parameters in one Double vector: x (rows·C), then w (C), then b (C).
            let C = channels
            let theta = (input + weight + bias).map(Double.init), d = upstream.map(Double.init)
            func loss(_ theta: [Double]) -> Double {
                var total = 0.0
                for r in 0..<rows {
                    let x = theta[r * C..<(r + 1) * C]
                    let m = x.reduce(0, +) / Double(C)
                    let variance = x.reduce(0) { $0 + ($1 - m) * ($1 - m) } / Double(C)
                    let s = 1 / (variance + eps).squareRoot()
                    for c in 0..<C {
                        let y = (x[r * C + c] - m) * s * theta[rows * C + c] + theta[rows * C + C + c]
                        total += d[r * C + c] * y
                    }
                }
                return total
            }
            let numeric = (0..<theta.count).map { Float(finiteDifference(theta, index: $0, loss)) }
            assertClose(fast.dinp, Array(numeric[0..<rows * C]), absolute: 2e-4, relative: 1e-3, label)
            // Accumulated onto 0.5.
            assertClose(fast.dweight, numeric[rows * C..<rows * C + C].map { $0 + 0.5 },
                        absolute: 2e-4, relative: 1e-3, label)
            assertClose(fast.dbias, numeric[rows * C + C..<rows * C + 2 * C].map { $0 + 0.5 },
                        absolute: 2e-4, relative: 1e-3, label)
        }
    }

    func testBackwardWithoutWeightOrParameterGradients() {
        var random = TestRandom(seed: 13)
        let rows = 5, channels = 70
        let input = random.floats(rows * channels), upstream = random.floats(rows * channels)
        let stats = forward(input, weight: nil, bias: nil, rows: rows, channels: channels)
        let reference = backward(dout: upstream, input: input, weight: nil, mean: stats.mean,
                                 rstd: stats.rstd, rows: rows, channels: channels, naive: true)
        let dinp = arena.buffer(repeating: Float.nan, count: rows * channels)
        layernormBackward(dinp: dinp, dweight: nil, dbias: nil, dout: arena.buffer(upstream),
                          inp: arena.buffer(input), weight: nil, mean: arena.buffer(stats.mean),
                          rstd: arena.buffer(stats.rstd), rows: rows, channels: channels)
        assertClose(values(dinp, rows * channels), reference.dinp, absolute: 1e-5, relative: 1e-4)
    }

    func testBitwiseIdenticalForAnyThreadCount() {
        var random = TestRandom(seed: 14)
        // Enough rows that the channel-parallel parameter gradients split too: 5 blocks of 64
        // channels (the last one partial), grain 2 blocks.
        let rows = 700, channels = 300
        let input = random.floats(rows * channels, -2, 3)
        let weight = random.floats(channels), bias = random.floats(channels)
        let upstream = random.floats(rows * channels)
        let results = withThreadCounts { () -> [Float] in
            let f = forward(input, weight: weight, bias: bias, rows: rows, channels: channels)
            let b = backward(dout: upstream, input: input, weight: weight, mean: f.mean, rstd: f.rstd,
                             rows: rows, channels: channels)
            return f.out + f.mean + f.rstd + b.dinp + b.dweight + b.dbias
        }
        assertBitwiseEqual(results[0], results[1])
        assertBitwiseEqual(results[0], results[2])
    }
}
