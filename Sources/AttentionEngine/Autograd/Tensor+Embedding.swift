/// Table lookup of token ids, on the embedding kernels.
extension Tensor {
    /// Rows of `table` (V, C) for `tokens` (any shape, ids in 0..<V) → shape + [C].
    /// Backward: dtable += the output gradient of every position, scattered to its token's row.
    /// Throws for an id outside 0..<V or a token count that does not match `shape`.
    public static func embedding(table: Tensor, tokens: [Int32], shape: [Int]) throws -> Tensor {
        guard table.rank == 2 else { throw AttentionError.shape("embedding: table \(table.shape) is not (V, C)") }
        let (vocab, channels) = (table.shape[0], table.shape[1])
        let count = try elementCount(shape, "embedding")
        guard tokens.count == count else {
            throw AttentionError.shape("embedding: \(tokens.count) token ids for shape \(shape)")
        }
        if let bad = tokens.first(where: { $0 < 0 || Int($0) >= vocab }) {
            throw AttentionError.invalid("embedding: token id \(bad) outside the vocabulary 0..<\(vocab)")
        }
        let ids = TokenStorage(tokens)
        let out = try build(shape + [channels], count: elementCount(shape + [channels], "embedding")) { out in
            embeddingForward(out: out, tokens: ids.pointer, table: table.storage.pointer, count: count, channels: channels)
        }
        return record(out, op: "embedding", inputs: [table]) { dout in
            table.node?.accumulate {
                embeddingBackward(dtable: $0, dout: dout, tokens: ids.pointer, count: count,
                                  channels: channels, vocab: vocab)
            }
        }
    }
}

/// Token ids kept alive for a backward pass.
final class TokenStorage {
    let pointer: UnsafeMutablePointer<Int32>
    let count: Int

    init(_ tokens: [Int32]) {
        count = tokens.count
        pointer = .allocate(capacity: max(count, 1))
        if count > 0 { tokens.withUnsafeBufferPointer { pointer.initialize(from: $0.baseAddress!, count: count) } }
    }

    deinit { pointer.deallocate() }
}
