import AttentionEngine
import XCTest

/// `GemmPackedWeight` (a Linear weight packed once): its product is bitwise `gemm`'s with the
/// same tile, for shapes that cross every blocking edge, and `unpacked()` returns the weight.
final class GemmPackedWeightTests: XCTestCase {
    /// (m, OUT, IN): OUT not a multiple of any tile width, IN over one depth block (256), OUT
    /// over one column block (1024), and OUT no wider than the SIMD8 tile (which `gemm` then
    /// uses whatever the preferred tile; above 8, as narrower products are matrix-vector ones).
    private let shapes = [(5, 12, 3), (6, 40, 300), (33, 1100, 64), (9, 384, 384), (17, 16, 513)]

    func testProductIsBitwiseGemmsForEveryTile() {
        var random = TestRandom(seed: 21)
        for kernel in GemmMicroKernel.available {
            for (m, n, k) in shapes {
                let tile = n <= 16 ? .simd8 : kernel
                let weight = random.floats(n * k), a = random.floats(m * (k + 3)), bias = random.floats(n)
                let packed = GemmPackedWeight(weight: weight, rows: n, columns: k, kernel: tile)
                var expected = [Float](repeating: .nan, count: m * (n + 1))
                var got = expected
                gemm(transA: false, transB: true, m: m, n: n, k: k, alpha: 1, a: a, lda: k + 3, b: weight, ldb: k,
                     beta: 0, c: &expected, ldc: n + 1, bias: bias, microKernel: tile)
                packed.product(m: m, a: a, lda: k + 3, c: &got, ldc: n + 1, bias: bias)
                XCTAssertEqual(got.map(\.bitPattern), expected.map(\.bitPattern), "\(kernel) m=\(m) n=\(n) k=\(k)")
                XCTAssertEqual(packed.unpacked(), weight, "\(kernel) n=\(n) k=\(k)")
            }
        }
    }

    func testProductMatchesTheNaiveReferenceAndAnyThreadCount() {
        var random = TestRandom(seed: 22)
        let (m, n, k) = (37, 1100, 300)
        let weight = random.floats(n * k), a = random.floats(m * k)
        let packed = GemmPackedWeight(weight: weight, rows: n, columns: k)
        var reference = [Float](repeating: 0, count: m * n)
        gemmNaive(transA: false, transB: true, m: m, n: n, k: k, alpha: 1, a: a, lda: k, b: weight, ldb: k,
                  beta: 0, c: &reference, ldc: n)
        let runs = withThreadCounts { () -> [Float] in
            var c = [Float](repeating: 0, count: m * n)
            packed.product(m: m, a: a, lda: k, c: &c, ldc: n, bias: nil)
            return c
        }
        for (got, want) in zip(runs[0], reference) {
            XCTAssertEqual(got, want, accuracy: 0x1p-21 * Float(k + 1))
        }
        XCTAssertEqual(runs[0].map(\.bitPattern), runs[1].map(\.bitPattern))
        XCTAssertEqual(runs[0].map(\.bitPattern), runs[2].map(\.bitPattern))
    }
}
