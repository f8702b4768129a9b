import AttentionEngine
import XCTest

/// Dropout: seeded masks identical on any thread count, scaling, eval mode, gradient.
final class EngineDropoutTests: XCTestCase {
    func testDropoutIsSeededScaledAndOffInEval() throws {
        let x = try Tensor.ones([4000])
        let masks = withThreadCounts { () -> [Float] in
            let dropout = try! Dropout(probability: 0.25, seed: 9)
            return try! dropout(x).scalars
        }
        assertBitwiseEqual(masks[0], masks[1])
        assertBitwiseEqual(masks[0], masks[2])
        let kept = masks[0].filter { $0 != 0 }
        XCTAssertTrue(kept.allSatisfy { $0 == 1 / Float(0.75) })
        XCTAssertEqual(Float(kept.count) / 4000, 0.75, accuracy: 0.03)  // binomial sd ≈ 0.007
        let dropout = try Dropout(probability: 0.5, seed: 1)
        dropout.setTraining(false)
        XCTAssertEqual(try dropout(x).scalars, x.scalars)
        assertThrowsAttentionError(["Dropout", "1.0"]) { _ = try Dropout(probability: 1, seed: 0) }
    }

    func testDropoutGradientUsesTheMask() throws {
        let x = randomTensor([3, 17], seed: 3).requiringGrad()
        let dropout = try Dropout(probability: 0.5, seed: 4)
        let y = try dropout(x)
        try y.sum().backward()
        // dL/dx = mask: 2 where kept, 0 where dropped.
        for (g, (yi, xi)) in zip(x.grad!.scalars, zip(y.scalars, x.scalars)) {
            XCTAssertEqual(g, yi == 0 && xi != 0 ? 0 : 2)
        }
    }
}
