import AttentionEngine
import XCTest

/// embeddingForward/Backward against the references, repeated tokens, determinism.
final class EmbeddingTests: XCTestCase {
    private let arena = TestArena()

    func testForwardCopiesRows() {
        var random = TestRandom(seed: 31)
        for channels in elementwiseTestSizes {
            let vocab = 7, count = 17
            let table = random.floats(vocab * channels)
            let tokens = (0..<count).map { _ in Int32(random.int(vocab)) }
            let out = arena.buffer(repeating: Float.nan, count: count * channels)
            embeddingForward(out: out, tokens: arena.buffer(tokens), table: arena.buffer(table),
                             count: count, channels: channels)
            for i in 0..<count {
                let row = Int(tokens[i]) * channels
                assertBitwiseEqual(values(out + i * channels, channels), Array(table[row..<row + channels]))
            }
        }
    }

    /// The scatter accumulates onto existing values and sums repeated tokens; compared with the
    /// Double reference within 1e-6 absolute + 1e-6 relative (the fast kernel sums in Float in
    /// token order).
    func testBackwardAccumulatesRepeatedTokens() {
        var random = TestRandom(seed: 32)
        for channels in elementwiseTestSizes {
            let vocab = 5, count = 40  // many repeats
            let initial = random.floats(vocab * channels), upstream = random.floats(count * channels)
            let tokens = (0..<count).map { _ in Int32(random.int(vocab)) }
            let fast = arena.buffer(initial), reference = arena.buffer(initial)
            embeddingBackward(dtable: fast, dout: arena.buffer(upstream), tokens: arena.buffer(tokens),
                              count: count, channels: channels, vocab: vocab)
            embeddingBackwardNaive(dtable: reference, dout: arena.buffer(upstream), tokens: arena.buffer(tokens),
                                   count: count, channels: channels, vocab: vocab)
            assertClose(values(fast, vocab * channels), values(reference, vocab * channels),
                        absolute: 1e-6, relative: 1e-6, "channels \(channels)")
        }
    }

    /// The backward pass touches only the rows of the tokens in the batch (a scatter-add, never
    /// a sweep of the table): with V = 7,477 and 6 distinct tokens, every other row keeps its
    /// bits, NaN included.
    func testBackwardTouchesOnlyTheRowsUsed() {
        let vocab = 7477, channels = 20
        let tokens: [Int32] = [5, 7400, 5, 0, 7476, 123, 5]
        var initial = [Float](repeating: .nan, count: vocab * channels)
        let used = Set(tokens.map(Int.init))
        for row in used { for c in 0..<channels { initial[row * channels + c] = 0 } }
        let upstream = [Float](repeating: 1, count: tokens.count * channels)
        let table = arena.buffer(initial)
        embeddingBackward(dtable: table, dout: arena.buffer(upstream), tokens: arena.buffer(tokens),
                          count: tokens.count, channels: channels, vocab: vocab)
        let result = values(table, vocab * channels)
        for row in 0..<vocab {
            let slice = result[row * channels..<(row + 1) * channels]
            if used.contains(row) {
                let expected = Float(tokens.filter { Int($0) == row }.count)
                XCTAssertTrue(slice.allSatisfy { $0 == expected }, "row \(row)")
            } else {
                XCTAssertTrue(slice.allSatisfy(\.isNaN), "row \(row) was written")
            }
        }
    }

    func testEmptyShapesWriteNothing() {
        let table = arena.buffer(repeating: Float(7), count: 4)
        let tokens = arena.buffer([Int32(0)])
        embeddingBackward(dtable: table, dout: table, tokens: tokens, count: 0, channels: 4, vocab: 1)
        embeddingBackward(dtable: table, dout: table, tokens: tokens, count: 1, channels: 0, vocab: 1)
        embeddingForward(out: table, tokens: tokens, table: table, count: 0, channels: 4)
        XCTAssertEqual(values(table, 4), [7, 7, 7, 7])
    }

    func testBitwiseIdenticalForAnyThreadCount() {
        var random = TestRandom(seed: 33)
        let vocab = 50, count = 1_000, channels = 200
        let upstream = random.floats(count * channels), table = random.floats(vocab * channels)
        let tokens = (0..<count).map { _ in Int32(random.int(vocab)) }
        let results = withThreadCounts { () -> [Float] in
            let dtable = arena.buffer(repeating: Float(0), count: vocab * channels)
            embeddingBackward(dtable: dtable, dout: arena.buffer(upstream), tokens: arena.buffer(tokens),
                              count: count, channels: channels, vocab: vocab)
            let out = arena.buffer(repeating: Float.nan, count: count * channels)
            embeddingForward(out: out, tokens: arena.buffer(tokens), table: arena.buffer(table),
                             count: count, channels: channels)
            return values(dtable, vocab * channels) + values(out, count * channels)
        }
        assertBitwiseEqual(results[0], results[1])
        assertBitwiseEqual(results[0], results[2])
    }
}
