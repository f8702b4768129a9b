import AttentionEngine
import XCTest

/// Embedding layer: rows looked up exactly, gradient scattered (repeated ids add up), bad ids.
final class EngineTokenEmbeddingTests: XCTestCase {
    func testLookupAndGradient() throws {
        var rng = Random(seed: 1)
        let embedding = try Embedding(vocabularySize: 5, channels: 17, rng: &rng)
        let tokens: [Int32] = [4, 0, 4, 2, 1, 4]
        let out = try embedding(tokens, shape: [2, 3])
        XCTAssertEqual(out.shape, [2, 3, 17])
        let table = embedding.weight.value.scalars
        for (i, token) in tokens.enumerated() {
            XCTAssertEqual(Array(out.scalars[(i * 17)..<((i + 1) * 17)]),
                           Array(table[(Int(token) * 17)..<((Int(token) + 1) * 17)]))
        }
        try checkGradients(inputs: [], parameters: embedding.parameters) { _ in try embedding(tokens, shape: [2, 3]) }
        // Σ of the output → each row's gradient is 1 per occurrence of its id (id 4 three times, 3 never).
        embedding.zeroGrad()
        try embedding(tokens, shape: [6]).sum().backward()
        let grad = embedding.weight.grad!.scalars
        for (id, occurrences) in [(0, 1), (1, 1), (2, 1), (3, 0), (4, 3)] {
            XCTAssertEqual(grad[id * 17], Float(occurrences))
        }
    }

    func testBadIds() {
        var rng = Random(seed: 1)
        let embedding = try! Embedding(vocabularySize: 5, channels: 2, rng: &rng)
        assertThrowsAttentionError(["Embedding(5 × 2)", "token id 5", "0..<5"]) { _ = try embedding([1, 5], shape: [2]) }
        assertThrowsAttentionError(["token id -1"]) { _ = try embedding([-1], shape: [1]) }
        assertThrowsAttentionError(["2 token ids", "[3]"]) { _ = try embedding([1, 2], shape: [3]) }
    }
}
