import AttentionEngine
import Foundation
import XCTest

/// Sinusoidal table against the formula in Double; learned encoding gradients.
final class EnginePositionEncodingTests: XCTestCase {
    func testSinusoidalTable() throws {
        let table = try sinusoidalPositionTable(length: 5, channels: 6).scalars
        for t in 0..<5 {
            for c in 0..<6 {
                let angle = Double(t) / pow(10000, Double(2 * (c / 2)) / 6)
                XCTAssertEqual(Double(table[t * 6 + c]), c % 2 == 0 ? sin(angle) : cos(angle), accuracy: 1e-6)
            }
        }
        let encoding = try SinusoidalPositionEncoding(maxLength: 8, channels: 6)
        let x = randomTensor([2, 5, 6], seed: 1)
        let y = try encoding(x).scalars
        for i in 0..<60 { XCTAssertEqual(y[i], x.scalars[i] + table[i % 30], accuracy: 1e-6) }
        assertThrowsAttentionError(["SinusoidalPositionEncoding", "[2, 9, 6]"]) {
            _ = try encoding(Tensor.zeros([2, 9, 6]))
        }
        assertThrowsAttentionError(["SinusoidalPositionEncoding", "-1"]) {
            _ = try SinusoidalPositionEncoding(maxLength: -1, channels: 4)
        }
        try checkGradients(inputs: [x]) { try encoding($0[0]) }
    }

    func testLearnedPositionEncodingGradient() throws {
        var rng = Random(seed: 3)
        let encoding = try LearnedPositionEncoding(maxLength: 7, channels: 5, rng: &rng)
        XCTAssertEqual(encoding.namedParameters.map(\.name), ["weight"])
        assertThrowsAttentionError(["LearnedPositionEncoding", "-3"]) {
            _ = try LearnedPositionEncoding(maxLength: 4, channels: -3, rng: &rng)
        }
        try checkGradients(inputs: [randomTensor([2, 4, 5], seed: 2)], parameters: encoding.parameters) {
            try encoding($0[0])
        }
    }
}
