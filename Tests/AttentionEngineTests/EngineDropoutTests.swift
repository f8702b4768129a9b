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

    /// Random123's known-answer vectors for philox4x32-10 (kat_vectors): zero counter and key,
    /// and all-ones counter and key.
    func testPhiloxKnownAnswers() {
        XCTAssertEqual(Philox.block(counter: SIMD4(0, 0, 0, 0), key: 0),
                       SIMD4(0x6627_E8D5, 0xE169_C58D, 0xBC57_AC4C, 0x9B00_DBD8))
        XCTAssertEqual(Philox.block(counter: SIMD4(repeating: 0xFFFF_FFFF), key: ~0),
                       SIMD4(0x408F_276D, 0x41C8_3B0E, 0xA20B_C7C6, 0x6D54_51FD))
    }

    /// The masks of data-parallel shards: two layers with the same seed holding rows 0..<2 and
    /// 2..<4 (shardIndex 0 and 1) drop exactly what one layer dropping all four rows drops, on
    /// every call (the key advances per call, not per row drawn).
    func testShardMasksEqualTheWholeBatchMasks() throws {
        let x = try Tensor.ones([4, 3, 5])  // (B,T,C), rows of 15 elements: blocks of 4 with a tail
        let whole = try Dropout(probability: 0.5, seed: 21)
        let first = try Dropout(probability: 0.5, seed: 21), second = try Dropout(probability: 0.5, seed: 21)
        second.shardIndex = 1
        let half = try Tensor.ones([2, 3, 5])
        for _ in 0..<3 {
            let expected = try whole(x).scalars
            assertBitwiseEqual(try first(half).scalars + second(half).scalars, expected)
            XCTAssertTrue(expected.contains(0) && expected.contains(2))
        }
        // Another call draws another mask.
        XCTAssertNotEqual(try whole(x).scalars, try whole(x).scalars)
    }
}
