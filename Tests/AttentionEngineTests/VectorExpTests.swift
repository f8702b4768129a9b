import Foundation
import XCTest
import AttentionEngine

/// `vectorExp` against Double `exp`: the documented bound is 2 ulp over the normal range.
final class VectorExpTests: XCTestCase {
    /// Distance in units in the last place of `expected` (as Float).
    private func ulpError(_ actual: Float, _ expected: Double) -> Double {
        let reference = Float(expected)
        return abs(Double(actual) - expected) / Double(reference.ulp)
    }

    func testErrorBoundOverNormalRange() {
        var worst = 0.0
        var x: Float = -87.0
        while x < 88.5 {
            var lanes = SIMD16<Float>()
            for i in 0..<16 { lanes[i] = x + Float(i) * 0.000_731 }
            let result = vectorExp(lanes)
            for i in 0..<16 {
                worst = max(worst, ulpError(result[i], Foundation.exp(Double(lanes[i]))))
            }
            x += 0.0117
        }
        XCTAssertLessThanOrEqual(worst, 2.0, "worst error \(worst) ulp")
    }

    func testDenseAroundZero() {
        var worst = 0.0
        for step in -100_000...100_000 {
            let x = Float(step) * 1e-5
            worst = max(worst, ulpError(scalarExp(x), Foundation.exp(Double(x))))
        }
        XCTAssertLessThanOrEqual(worst, 2.0, "worst error \(worst) ulp")
    }

    func testSpecialValues() {
        let input = SIMD16<Float>(-.infinity, -1000, -87.5, 0, 1, 89, .infinity, .nan, 0, 0, 0, 0, 0, 0, 0, 0)
        let result = vectorExp(input)
        XCTAssertEqual(result[0], 0)
        XCTAssertEqual(result[1], 0)
        XCTAssertEqual(result[2], 0)
        XCTAssertEqual(result[3], 1)
        XCTAssertEqual(result[4], Float(M_E), accuracy: Float(M_E).ulp * 2)
        XCTAssertEqual(result[5], .infinity)
        XCTAssertEqual(result[6], .infinity)
        XCTAssertTrue(result[7].isNaN)
    }

    /// The softmax variant for x <= 0 must give exactly vectorExp's bits there.
    func testNonPositiveVariantIsBitwiseEqualBelowZero() {
        var x: Float = -100
        while x <= 0 {
            var lanes = SIMD16<Float>()
            for i in 0..<16 { lanes[i] = min(0, x + Float(i) * 0.000_37) }
            let fast = vectorExpNonPositive(lanes), full = vectorExp(lanes)
            for i in 0..<16 {
                XCTAssertEqual(fast[i].bitPattern, full[i].bitPattern, "at \(lanes[i])")
            }
            x += 0.0061
        }
        let special = SIMD16<Float>(repeating: -.infinity)
        XCTAssertEqual(vectorExpNonPositive(special), SIMD16(repeating: 0))
    }
}
