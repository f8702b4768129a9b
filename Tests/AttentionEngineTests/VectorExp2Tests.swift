import Foundation
import XCTest
import AttentionEngine

/// `vectorExp2NonPositive` (the attention forward's base-2 softmax exponential) against Double
/// `exp2`: the documented bound is below 1 ulp on [-126, 0], 0 below, NaN kept.
final class VectorExp2Tests: XCTestCase {
    /// Distance in units in the last place of `expected` (as Float).
    private func ulpError(_ actual: Float, _ expected: Double) -> Double {
        abs(Double(actual) - expected) / Double(Float(expected).ulp)
    }

    private func worstError(from start: Float, to end: Float, step: Float, spread: Float) -> Double {
        var worst = 0.0
        var x = start
        while x <= end {
            var lanes = SIMD16<Float>()
            for i in 0..<16 { lanes[i] = min(0, x + Float(i) * spread) }
            let result = vectorExp2NonPositive(lanes)
            for i in 0..<16 {
                worst = max(worst, ulpError(result[i], Foundation.exp2(Double(lanes[i]))))
            }
            x += step
        }
        return worst
    }

    func testErrorBoundOverNormalRange() {
        let worst = worstError(from: -126, to: 0, step: 0.00731, spread: 0.000_417)
        XCTAssertLessThan(worst, 1.0, "worst error \(worst) ulp")
    }

    func testErrorBoundAroundTheRoundingBoundaries() {
        // f = x - round(x) near ±1/2, where the polynomial's error is largest.
        let worst = worstError(from: -8.51, to: -0.49, step: 1, spread: 0.001_3)
        XCTAssertLessThan(worst, 1.0, "worst error \(worst) ulp")
    }

    func testSpecialInputs() {
        let inputs: [Float] = [0, -0.0, -1, -2, -126, -126.5, -150, -.infinity, .nan, -.nan,
                               -.greatestFiniteMagnitude, -1e-30, -0.5, -125.25, -64, -3]
        let result = vectorExp2NonPositive(SIMD16<Float>(inputs))
        XCTAssertEqual(result[0], 1)
        XCTAssertEqual(result[1], 1)
        XCTAssertEqual(result[2], 0.5)
        XCTAssertEqual(result[3], 0.25)
        XCTAssertEqual(result[4], Float.leastNormalMagnitude)
        XCTAssertEqual(result[5], 0)
        XCTAssertEqual(result[6], 0)
        XCTAssertEqual(result[7], 0)
        XCTAssertTrue(result[8].isNaN)
        XCTAssertTrue(result[9].isNaN)
        XCTAssertEqual(result[10], 0)
        XCTAssertEqual(result[11], 1)
        XCTAssertLessThan(ulpError(result[12], 0.5.squareRoot()), 1)
        XCTAssertLessThan(ulpError(result[13], Foundation.exp2(-125.25)), 1)
        XCTAssertEqual(result[14], 0x1p-64)
        XCTAssertEqual(result[15], 0.125)
    }
}
