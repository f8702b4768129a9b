import AttentionEngine
import Foundation
import XCTest

/// LayerNorm layer: forward against the formula in Double, gradients by finite differences.
final class EngineLayerNormTests: XCTestCase {
    func testForwardAndGradients() throws {
        for channels in [1, 3, 17, 65] {
            let norm = try LayerNorm(channels: channels)
            norm.weight.update { p, _, n in for i in 0..<n { p[i] = 1 + 0.1 * Float(i % 5) } }
            norm.bias.update { p, _, n in for i in 0..<n { p[i] = 0.05 * Float(i % 3) } }
            let x = randomTensor([2, 3, channels], seed: 2, -2, 2)
            let y = try norm(x).scalars, xs = x.scalars
            for row in 0..<6 {
                let slice = xs[(row * channels)..<((row + 1) * channels)].map(Double.init)
                let mean = slice.reduce(0, +) / Double(channels)
                let variance = slice.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(channels)
                for c in 0..<channels {
                    let expected = (slice[c] - mean) / (variance + 1e-5).squareRoot()
                        * (1 + 0.1 * Double(c % 5)) + 0.05 * Double(c % 3)
                    XCTAssertEqual(Double(y[row * channels + c]), expected, accuracy: 1e-4)
                }
            }
            // channels == 1 normalizes to exactly the bias (zero gradient into x): still checked.
            try checkGradients(inputs: [x], parameters: norm.parameters, absolute: 5e-3) { try norm($0[0]) }
        }
    }

    func testShapeError() {
        let norm = try! LayerNorm(channels: 4)
        assertThrowsAttentionError(["LayerNorm(4)", "[2, 3]"]) { _ = try norm(Tensor.zeros([2, 3])) }
    }
}
