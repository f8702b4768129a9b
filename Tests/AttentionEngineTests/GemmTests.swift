import AttentionEngine
import XCTest

/// `gemm` (both micro-kernels, every transpose combination) against `gemmNaive`, plus argument
/// checking and determinism across thread counts.
///
/// Tolerance: inputs are uniform in [-1, 1), so every product |a·b| <= 1. Float summation of k
/// such terms has a worst-case error of k·u·Σ|a·b| (u = 2⁻²⁴), but with random signs the error
/// grows like √k; we allow |Δ| <= 2⁻²¹·(k + 1)·max(1, |alpha|) + 2⁻²⁰·(|beta·C| + |bias| + 1),
/// which leaves a margin of ~10× at k = 255 and still catches any missing, doubled or
/// misplaced term.
final class GemmTests: XCTestCase {
    /// The tiles this CPU executes (both on an AVX-512 host; see `KernelISA.available`).
    private static let kernels = GemmMicroKernel.available

    /// One GEMM problem with stored operands, padding included.
    private struct Problem {
        var transA = false, transB = false
        var m: Int, n: Int, k: Int
        var alpha: Float = 1, beta: Float = 0
        /// Extra floats past the minimum leading dimension of A, B and C.
        var padA = 0, padB = 0, padC = 0
        var withBias = false
        /// What C holds before the call (beta == 0 must ignore it, NaN included).
        var initialC: Float? = nil

        var lda: Int { (transA ? m : k) + padA }
        var ldb: Int { (transB ? k : n) + padB }
        var ldc: Int { n + padC }
        var aRows: Int { transA ? k : m }
        var bRows: Int { transB ? n : k }

        var description: String {
            "m=\(m) n=\(n) k=\(k) transA=\(transA) transB=\(transB) alpha=\(alpha) beta=\(beta) "
                + "pads=(\(padA),\(padB),\(padC)) bias=\(withBias)"
        }
    }

    /// Operands for `problem`, with NaN in the padding of A and B (reading it would leak) and
    /// a sentinel in the padding of C (writing it would show).
    private struct Operands {
        var a: [Float], b: [Float], c: [Float], bias: [Float]
    }

    private static let sentinel: Float = 12345

    private func operands(_ problem: Problem, seed: UInt64) -> Operands {
        var random = TestRandom(seed: seed)
        func matrix(rows: Int, cols: Int, ld: Int, padding: Float) -> [Float] {
            var values = [Float](repeating: padding, count: max(rows * ld, 1))
            for r in 0..<rows {
                for j in 0..<cols { values[r * ld + j] = random.uniform() }
            }
            return values
        }
        let a = matrix(rows: problem.aRows, cols: problem.transA ? problem.m : problem.k,
                       ld: problem.lda, padding: .nan)
        let b = matrix(rows: problem.bRows, cols: problem.transB ? problem.k : problem.n,
                       ld: problem.ldb, padding: .nan)
        var c = matrix(rows: problem.m, cols: problem.n, ld: problem.ldc, padding: Self.sentinel)
        if let initial = problem.initialC {
            for i in 0..<problem.m {
                for j in 0..<problem.n { c[i * problem.ldc + j] = initial }
            }
        }
        return Operands(a: a, b: b, c: c, bias: random.floats(max(problem.n, 1)))
    }

    /// C after the call; `kernel` nil runs the naive reference.
    private func run(_ problem: Problem, _ operands: Operands, kernel: GemmMicroKernel?) -> [Float] {
        var c = operands.c
        operands.a.withUnsafeBufferPointer { a in
            operands.b.withUnsafeBufferPointer { b in
                operands.bias.withUnsafeBufferPointer { bias in
                    c.withUnsafeMutableBufferPointer { c in
                        let biasPointer = problem.withBias ? bias.baseAddress : nil
                        if let kernel {
                            gemm(transA: problem.transA, transB: problem.transB,
                                 m: problem.m, n: problem.n, k: problem.k, alpha: problem.alpha,
                                 a: a.baseAddress, lda: problem.lda, b: b.baseAddress, ldb: problem.ldb,
                                 beta: problem.beta, c: c.baseAddress, ldc: problem.ldc,
                                 bias: biasPointer, microKernel: kernel)
                        } else {
                            gemmNaive(transA: problem.transA, transB: problem.transB,
                                      m: problem.m, n: problem.n, k: problem.k, alpha: problem.alpha,
                                      a: a.baseAddress, lda: problem.lda, b: b.baseAddress,
                                      ldb: problem.ldb, beta: problem.beta, c: c.baseAddress,
                                      ldc: problem.ldc, bias: biasPointer)
                        }
                    }
                }
            }
        }
        return c
    }

    /// Checks every micro-kernel against the naive reference on `problem`.
    private func check(_ problem: Problem, seed: UInt64 = 1,
                       file: StaticString = #filePath, line: UInt = #line) {
        let data = operands(problem, seed: seed)
        let expected = run(problem, data, kernel: nil)
        let absolute = Float(problem.k + 1) * 0x1p-21 * max(1, abs(problem.alpha)) + 0x1p-20
        for kernel in Self.kernels {
            let actual = run(problem, data, kernel: kernel)
            XCTAssertFalse(actual.contains { $0.isNaN }, "NaN leaked: \(problem.description) \(kernel)",
                           file: file, line: line)
            // The padding of C is the sentinel before and after: no write outside (m, n).
            assertClose(actual, expected, absolute: absolute, relative: 0x1p-20,
                        "\(problem.description) \(kernel)", file: file, line: line)
        }
    }

    private static let transposes = [(false, false), (false, true), (true, false), (true, true)]
    private static let edgeSizes = [0, 1, 3, 17, 63, 65, 255]

    func testEachDimensionOverEdgeSizesAndTransposes() {
        for (transA, transB) in Self.transposes {
            for size in Self.edgeSizes {
                check(Problem(transA: transA, transB: transB, m: size, n: 37, k: 29))
                check(Problem(transA: transA, transB: transB, m: 19, n: size, k: 29))
                check(Problem(transA: transA, transB: transB, m: 19, n: 37, k: size))
            }
        }
    }

    func testRandomShapesWithPaddedLeadingDimensionsAndBias() {
        var random = TestRandom(seed: 7)
        for trial in 0..<24 {
            let (transA, transB) = Self.transposes[trial % 4]
            let problem = Problem(
                transA: transA, transB: transB,
                m: Self.edgeSizes[1 + random.int(6)], n: 1 + random.int(90), k: 1 + random.int(90),
                padA: random.int(5), padB: random.int(5), padC: random.int(5),
                withBias: trial % 3 != 0)
            check(problem, seed: UInt64(trial))
        }
    }

    /// Several KC blocks of depth and NC blocks of columns, edge tiles on both sides.
    func testShapesCrossingCacheBlocks() {
        for (transA, transB) in Self.transposes {
            check(Problem(transA: transA, transB: transB, m: 20, n: 1100, k: 530,
                          alpha: 0.75, beta: 0.5, padA: 1, padB: 2, padC: 3, withBias: true))
        }
    }

    /// One depth block (k <= KC) under several column blocks, as an LM head (K = 128, N in the
    /// thousands): the path that packs op(A) once for all column blocks, edge tiles included.
    func testSingleDepthBlockOverManyColumnBlocks() {
        for (transA, transB) in Self.transposes {
            check(Problem(transA: transA, transB: transB, m: 50, n: 2100, k: 128,
                          alpha: 0.75, beta: 0.5, padA: 1, padB: 2, padC: 3, withBias: true))
        }
    }

    func testAlphaBetaAndBias() {
        let cases: [(alpha: Float, beta: Float)] = [(1, 0), (0.5, 1), (-2, 0.25), (1, -1), (0, 0.5), (0, 0)]
        for (alpha, beta) in cases {
            for (transA, transB) in Self.transposes {
                for (m, n) in [(13, 40), (1, 40), (13, 1)] {
                    check(Problem(transA: transA, transB: transB, m: m, n: n, k: 21,
                                  alpha: alpha, beta: beta, padC: 2, withBias: true))
                }
            }
        }
    }

    /// beta == 0 means C is not read: NaN (or infinity) already in C must not reach the result.
    func testBetaZeroIgnoresNaNInC() {
        for (transA, transB) in Self.transposes {
            for (m, n, k) in [(13, 40, 21), (1, 40, 21), (13, 1, 21), (7, 9, 0), (300, 70, 300)] {
                check(Problem(transA: transA, transB: transB, m: m, n: n, k: k, initialC: .nan))
                check(Problem(transA: transA, transB: transB, m: m, n: n, k: k, alpha: 0,
                              withBias: true, initialC: .infinity))
            }
        }
    }

    func testEmptyProductScalesAndAddsBias() {
        // k == 0: C = beta * C + bias exactly.
        let problem = Problem(m: 3, n: 4, k: 0, beta: 0.5, withBias: true)
        let data = operands(problem, seed: 3)
        for kernel in Self.kernels {
            let actual = run(problem, data, kernel: kernel)
            for i in 0..<3 {
                for j in 0..<4 {
                    XCTAssertEqual(actual[i * 4 + j], 0.5 * data.c[i * 4 + j] + data.bias[j])
                }
            }
        }
    }

    /// The attention-sized and skinny shapes the layers use, at sizes where threads engage.
    func testBitwiseIdenticalAcrossThreadCounts() {
        // (6, …), (16, …), (23, …): fewer than two row micro-panels per thread, so the threads
        // split the columns instead of the rows.
        let shapes = [(200, 300, 600), (6, 700, 300), (16, 384, 384), (23, 700, 300), (1, 700, 300), (3, 700, 300),
                      (700, 1, 300), (300, 5, 700), (64, 64, 64), (70, 1100, 40), (500, 2100, 128)]
        for kernel in Self.kernels {
            for (transA, transB) in Self.transposes {
                for (m, n, k) in shapes {
                    let problem = Problem(transA: transA, transB: transB, m: m, n: n, k: k,
                                          alpha: 0.5, beta: 0.25, padC: 1, withBias: true)
                    let data = operands(problem, seed: 11)
                    let results = withThreadCounts { run(problem, data, kernel: kernel) }
                    assertBitwiseEqual(results[0], results[1], "2 threads: \(problem.description)")
                    assertBitwiseEqual(results[0], results[2], "3 threads: \(problem.description)")
                }
            }
        }
    }

    // MARK: - Argument checking

    private let some = UnsafeRawPointer(bitPattern: 64)!

    private func assertRejects(_ kind: AttentionError.Kind, transA: Bool = false, transB: Bool = false,
                               m: Int = 4, n: Int = 5, k: Int = 6,
                               a: UnsafeRawPointer?? = nil, lda: Int? = nil,
                               b: UnsafeRawPointer?? = nil, ldb: Int? = nil,
                               c: UnsafeRawPointer?? = nil, ldc: Int? = nil,
                               file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertThrowsError(try checkGemmArguments(
            transA: transA, transB: transB, m: m, n: n, k: k,
            a: a ?? some, lda: lda ?? (transA ? m : k), b: b ?? some, ldb: ldb ?? (transB ? k : n),
            c: c ?? some, ldc: ldc ?? n), file: file, line: line) { error in
            XCTAssertEqual((error as? AttentionError)?.kind, kind, "\(error)", file: file, line: line)
            XCTAssertFalse((error as? AttentionError)?.message.isEmpty ?? true, file: file, line: line)
        }
    }

    func testCheckAcceptsValidArguments() throws {
        for (transA, transB) in Self.transposes {
            try checkGemmArguments(transA: transA, transB: transB, m: 4, n: 5, k: 6,
                                   a: some, lda: transA ? 4 : 6, b: some, ldb: transB ? 6 : 5,
                                   c: some, ldc: 5)
        }
        // Empty operands may be NULL: A and B when k == 0, everything when m == 0 and n == 0.
        try checkGemmArguments(transA: false, transB: false, m: 4, n: 5, k: 0,
                               a: nil, lda: 0, b: nil, ldb: 5, c: some, ldc: 5)
        try checkGemmArguments(transA: false, transB: false, m: 0, n: 0, k: 3,
                               a: nil, lda: 3, b: nil, ldb: 0, c: nil, ldc: 0)
    }

    func testCheckRejectsNegativeSizes() {
        assertRejects(.shape, m: -1, lda: 6, ldc: 5)
        assertRejects(.shape, n: -1, ldb: 0, ldc: 0)
        assertRejects(.shape, k: -1, lda: 0, ldb: 5)
    }

    func testCheckRejectsSmallLeadingDimensions() {
        assertRejects(.shape, lda: 5)                         // A (m, k): lda >= k = 6
        assertRejects(.shape, transA: true, lda: 3)           // A (k, m): lda >= m = 4
        assertRejects(.shape, ldb: 4)                         // B (k, n): ldb >= n = 5
        assertRejects(.shape, transB: true, ldb: 5)           // B (n, k): ldb >= k = 6
        assertRejects(.shape, ldc: 4)                         // C (m, n): ldc >= n = 5
        assertRejects(.shape, lda: -1, ldb: -1, ldc: -1)
    }

    func testCheckRejectsOverflowingSizes() {
        let huge = Int.max / 2
        assertRejects(.shape, m: huge, n: 5, k: 6, lda: 6, ldc: 5)   // (m - 1) · lda overflows
        assertRejects(.shape, m: 4, n: huge, k: 6, ldb: huge, ldc: huge)  // 3 · ldb overflows
        assertRejects(.shape, m: 2, n: 5, k: 6, lda: Int.max / 4 + 1)  // bytes overflow
    }

    func testCheckRejectsNullOperands() {
        assertRejects(.nullPointer, a: .some(nil))
        assertRejects(.nullPointer, b: .some(nil))
        assertRejects(.nullPointer, c: .some(nil))
        assertRejects(.nullPointer, m: 1, n: 1, k: 1, a: .some(nil), lda: 1, ldb: 1, ldc: 1)
    }
}
