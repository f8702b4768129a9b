/// A lookup table of learned vectors, one per token id (GPT-2's `wte`).
public final class Embedding: Module {
    public let weight: Parameter  // (V, C)
    public var localParameters: [(name: String, parameter: Parameter)] { [("weight", weight)] }

    /// Table entries drawn from N(0, std²) (0.02 as in GPT-2 by default). Throws for a negative size.
    public init(vocabularySize: Int, channels: Int, std: Float = 0.02, rng: inout Random) throws {
        guard vocabularySize >= 0, channels >= 0 else {
            throw AttentionError.shape("Embedding(vocabularySize: \(vocabularySize), channels: \(channels)): negative size")
        }
        weight = Parameter(try Tensor.normal([vocabularySize, channels], std: std, using: &rng))
    }

    public var vocabularySize: Int { weight.shape[0] }
    public var channels: Int { weight.shape[1] }

    /// tokens with `shape` (e.g. (B,T)), ids in 0..<V → shape + [C].
    public func callAsFunction(_ tokens: [Int32], shape: [Int]) throws -> Tensor {
        do {
            return try Tensor.embedding(table: weight.value, tokens: tokens, shape: shape)
        } catch let error as AttentionError {
            throw AttentionError(error.kind, "Embedding(\(vocabularySize) × \(channels)): \(error.message)")
        }
    }
}
