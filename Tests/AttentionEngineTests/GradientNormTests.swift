import AttentionEngine
import XCTest

/// `sumOfSquares`, the global gradient norm's reduction: split across threads in blocks of 4,096
/// elements, it must give the bits of one serial fixed-order sum on every thread count.
final class GradientNormTests: XCTestCase {
    func testBlockedSumMatchesTheSerialSumOnAnyThreadCount() {
        let savedThreads = Parallel.threadCount
        defer { Parallel.threadCount = savedThreads }
        // Sizes below, at and across the block boundary, and many blocks with a partial tail.
        for count in [1, 15, 4096, 4097, 3 * 4096, 100_003, 1 << 20] {
            var state: UInt64 = 0x9E37_79B9_7F4A_7C15 &* UInt64(count)
            let x = (0..<count).map { _ -> Float in
                state = state &* 6364136223846793005 &+ 1442695040888963407
                return Float(Int64(bitPattern: state >> 11) % 2001 - 1000) / 997
            }
            let squares = x.map { $0 * $0 }
            // vectorSum runs the serial fixed-order sum (same Float lanes, same flushes to Double).
            let serial = squares.withUnsafeBufferPointer { vectorSum($0.baseAddress!, count: count) }
            let reference = x.reduce(0.0) { $0 + Double($1) * Double($1) }
            var results: [Double] = []
            for threads in [1, 2, 3] {
                Parallel.threadCount = threads
                results.append(x.withUnsafeBufferPointer { sumOfSquares($0.baseAddress!, count: count) })
            }
            XCTAssertEqual(Set(results.map(\.bitPattern)).count, 1, "count \(count): \(results)")
            XCTAssertEqual(Float(results[0]).bitPattern, serial.bitPattern, "count \(count)")
            XCTAssertEqual(results[0], reference, accuracy: 1e-6 * reference, "count \(count)")
        }
    }

    func testEmptyAndNonFinite() {
        let empty: [Float] = []
        XCTAssertEqual(empty.withUnsafeBufferPointer { sumOfSquares($0.baseAddress ?? UnsafePointer(bitPattern: 64)!, count: 0) }, 0)
        var x = [Float](repeating: 1, count: 10_000)
        x[9_000] = .nan
        XCTAssertTrue(x.withUnsafeBufferPointer { sumOfSquares($0.baseAddress!, count: x.count) }.isNaN)
        x[9_000] = .infinity
        XCTAssertEqual(x.withUnsafeBufferPointer { sumOfSquares($0.baseAddress!, count: x.count) }, .infinity)
    }
}
