import AttentionEngine
import XCTest

/// The engine's arithmetic kernels against plain loops, and bitwise identical on 1, 2, 3 threads.
final class EngineArithmeticTests: XCTestCase {
    /// Column sums (bias gradients) against the Double loop: rows of ≤ 3000 terms in [-1, 1)
    /// accumulate Float rounding of about √rows·ulp, well inside 1e-4 relative + 1e-4 absolute.
    func testColumnSumMatchesNaiveOnAnyThreadCount() {
        for (rows, cols) in [(1, 1), (3, 17), (65, 63), (3000, 255), (0, 5)] {
            var random = TestRandom(seed: UInt64(rows * 1000 + cols))
            let x = random.floats(rows * cols), y = random.floats(rows * cols), start = random.floats(cols)
            for withY in [false, true] {
                var expected = start
                x.withUnsafeBufferPointer { xp in
                    y.withUnsafeBufferPointer { yp in
                        columnSumAccumulateNaive(dsum: &expected, x: xp.baseAddress!, y: withY ? yp.baseAddress! : nil,
                                                 rows: rows, cols: cols)
                    }
                }
                let results = withThreadCounts { () -> [Float] in
                    var sums = start
                    x.withUnsafeBufferPointer { xp in
                        y.withUnsafeBufferPointer { yp in
                            columnSumAccumulate(dsum: &sums, x: xp.baseAddress!, y: withY ? yp.baseAddress! : nil,
                                                rows: rows, cols: cols)
                        }
                    }
                    return sums
                }
                assertClose(results[0], expected, absolute: 1e-4, relative: 1e-4, "rows \(rows) cols \(cols)")
                assertBitwiseEqual(results[0], results[1])
                assertBitwiseEqual(results[0], results[2])
            }
        }
    }

    func testVectorSumAndElementwise() {
        var random = TestRandom(seed: 3)
        for count in [0, 1, 3, 17, 63, 65, 100_003] {
            let a = random.floats(count), b = random.floats(count)
            let exact = a.reduce(0.0) { $0 + Double($1) }
            let sums = withThreadCounts { a.withUnsafeBufferPointer { vectorSum($0.baseAddress!, count: count) } }
            // Float partial sums flushed to Double every 4096 elements: 1e-6 · √count absolute.
            XCTAssertEqual(Double(sums[0]), exact, accuracy: 1e-6 * Double(count).squareRoot() + 1e-6)
            assertBitwiseEqual(sums, [sums[0], sums[0], sums[0]])
            var out = [Float](repeating: 0, count: count)
            vectorAdd(out: &out, a: a, b: b, count: count)
            XCTAssertEqual(out, zip(a, b).map { $0 + $1 })
            vectorMultiply(out: &out, a: a, b: b, count: count)
            XCTAssertEqual(out, zip(a, b).map { $0 * $1 })
            vectorAffine(out: &out, x: a, alpha: 2, beta: -1, count: count)
            XCTAssertEqual(out, a.map { (-1 as Float).addingProduct(2, $0) })
        }
    }
}
