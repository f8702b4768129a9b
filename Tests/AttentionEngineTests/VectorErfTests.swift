import AttentionEngine
import Foundation
import XCTest

/// `vectorErf` and `vectorErfc` against Double `erf`/`erfc`: the documented bounds.
final class VectorErfTests: XCTestCase {
    private let laneIsOdd = SIMD16<Int32>(0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1) .== 1

    /// Lanes z, z + 1e-5, …, stepping z over [-10, 10).
    private func forEachLanes(_ body: (SIMD16<Float>) -> Void) {
        var z: Float = -10
        while z < 10 {
            var lanes = SIMD16<Float>()
            for i in 0..<16 { lanes[i] = z + Float(i) * 1e-5 }
            body(lanes)
            z += 0.000_37
        }
    }

    func testErfBound() {
        var worstAbsolute = 0.0, worstRelative = 0.0
        forEachLanes { z in
            let result = vectorErf(z)
            for i in 0..<16 {
                let expected = erf(Double(z[i])), error = abs(Double(result[i]) - expected)
                worstAbsolute = max(worstAbsolute, error)
                if expected != 0 { worstRelative = max(worstRelative, error / abs(expected)) }
            }
        }
        XCTAssertLessThanOrEqual(worstAbsolute, 2e-7)
        XCTAssertLessThanOrEqual(worstRelative, 4e-7)
        // Tiny arguments: erf(z) ≈ 2z/√π, relative accuracy kept.
        let tiny = vectorErf(SIMD16<Float>(repeating: 1e-20).replacing(with: -1e-30, where: laneIsOdd))
        XCTAssertEqual(tiny[0], 1.1283792e-20)
        XCTAssertEqual(tiny[1], -1.1283792e-30)
    }

    func testErfcBound() {
        var worstAbsolute = 0.0, worstNear = 0.0, worstFar = 0.0
        forEachLanes { z in
            let result = vectorErfc(z)
            for i in 0..<16 {
                let expected = erfc(Double(z[i])), error = abs(Double(result[i]) - expected)
                worstAbsolute = max(worstAbsolute, error)
                if expected < 1e-37 { continue }  // below Float's normal range
                if z[i] < 4 { worstNear = max(worstNear, error / expected) }
                else { worstFar = max(worstFar, error / expected) }
            }
        }
        XCTAssertLessThanOrEqual(worstAbsolute, 4e-7)
        XCTAssertLessThanOrEqual(worstNear, 1.5e-6)
        XCTAssertLessThanOrEqual(worstFar, 5e-6)
    }

    func testSpecialValues() {
        var z = SIMD16<Float>()
        (z[0], z[1], z[2], z[3]) = (.infinity, -.infinity, 0, .nan)
        let erfc = vectorErfc(z), erf = vectorErf(z)
        XCTAssertEqual(erfc[0], 0)
        XCTAssertEqual(erfc[1], 2)
        XCTAssertEqual(erfc[2], 1, accuracy: 2e-7)
        XCTAssertTrue(erfc[3].isNaN)
        XCTAssertEqual(erf[0], 1)
        XCTAssertEqual(erf[1], -1)
        XCTAssertEqual(erf[2], 0)
        XCTAssertTrue(erf[3].isNaN)
    }
}
