import AttentionEngine
import XCTest

/// Seeded test data and comparisons shared by the kernel tests.

/// A deterministic generator (xorshift64*) so every test run sees the same "random" inputs.
struct TestRandom {
    private var state: UInt64

    init(seed: UInt64) { state = seed &* 0x9E37_79B9_7F4A_7C15 | 1 }

    mutating func next() -> UInt64 {
        state ^= state >> 12
        state ^= state << 25
        state ^= state >> 27
        return state &* 0x2545_F491_4F6C_DD1D
    }

    /// Uniform in [low, high).
    mutating func uniform(_ low: Float = -1, _ high: Float = 1) -> Float {
        low + (high - low) * Float(next() >> 40) / Float(1 << 24)
    }

    /// `count` uniform floats in [low, high).
    mutating func floats(_ count: Int, _ low: Float = -1, _ high: Float = 1) -> [Float] {
        (0..<count).map { _ in uniform(low, high) }
    }

    /// Uniform integer in 0..<bound.
    mutating func int(_ bound: Int) -> Int { Int(next() % UInt64(bound)) }
}

/// Asserts |actual - expected| <= absolute + relative * |expected| element-wise, reporting the
/// first offending index.
func assertClose(_ actual: [Float], _ expected: [Float], absolute: Float, relative: Float = 0,
                 _ message: @autoclosure () -> String = "",
                 file: StaticString = #filePath, line: UInt = #line) {
    guard actual.count == expected.count else {
        XCTFail("length \(actual.count) != \(expected.count) \(message())", file: file, line: line)
        return
    }
    for i in actual.indices {
        let tolerance = absolute + relative * abs(expected[i])
        if !(abs(actual[i] - expected[i]) <= tolerance) {
            XCTFail("index \(i): \(actual[i]) vs \(expected[i]) (tolerance \(tolerance)) \(message())",
                    file: file, line: line)
            return
        }
    }
}

/// Asserts that two arrays are bitwise identical (NaN payloads included).
func assertBitwiseEqual(_ a: [Float], _ b: [Float], _ message: @autoclosure () -> String = "",
                        file: StaticString = #filePath, line: UInt = #line) {
    XCTAssertEqual(a.map(\.bitPattern), b.map(\.bitPattern), message(), file: file, line: line)
}

/// Runs `body` once with each thread count and restores the previous count; used by the
/// determinism tests (results must be bitwise identical for any count).
func withThreadCounts<T>(_ counts: [Int] = [1, 2, 3], _ body: () -> T) -> [T] {
    let saved = Parallel.threadCount
    defer { Parallel.threadCount = saved }
    return counts.map { count in
        Parallel.threadCount = count
        return body()
    }
}

/// Central finite difference of a Double-valued function with respect to x[i]: the reference
/// for backward kernels (evaluate the forward in Double to keep the difference itself exact).
func finiteDifference(_ x: [Double], index i: Int, step: Double = 1e-6,
                      _ f: ([Double]) -> Double) -> Double {
    var plus = x, minus = x
    plus[i] += step
    minus[i] -= step
    return (f(plus) - f(minus)) / (2 * step)
}
