/// A lookup table of learned vectors, one per token id (GPT-2's `wte`).
public final class Embedding: Module, QuantizableWeight {
    public let weight: Parameter  // (V, C)
    public let vocabularySize: Int
    public let channels: Int
    public var localParameters: [(name: String, parameter: Parameter)] { [("weight", weight)] }

    /// Table entries drawn from N(0, std²) (0.02 as in GPT-2 by default). Throws for a negative size.
    public init(vocabularySize: Int, channels: Int, std: Float = 0.02, rng: inout Random) throws {
        guard vocabularySize >= 0, channels >= 0 else {
            throw AttentionError.shape("Embedding(vocabularySize: \(vocabularySize), channels: \(channels)): negative size")
        }
        self.vocabularySize = vocabularySize
        self.channels = channels
        weight = Parameter(try Tensor.normal([vocabularySize, channels], std: std, using: &rng))
    }

    /// The table narrowed for inference when a model ties its output head to it
    /// (`TiedOutputHead`, `Module.quantize(to:)`): lookups and `project` then read this matrix and
    /// the FP32 table is released.
    public private(set) var quantizedWeight: QuantizedMatrix?

    public func adoptQuantizedWeight(_ matrix: QuantizedMatrix) throws {
        try checkAdoptable(matrix, layer: "Embedding(\(vocabularySize) × \(channels))")
        quantizedWeight = matrix
        weight.releaseValue()
    }

    /// tokens with `shape` (e.g. (B,T)), ids in 0..<V → shape + [C].
    public func callAsFunction(_ tokens: [Int32], shape: [Int]) throws -> Tensor {
        do {
            if let quantizedWeight { return try quantizedWeight.rows(tokens, shape: shape) }
            return try Tensor.embedding(table: weight.value, tokens: tokens, shape: shape)
        } catch let error as AttentionError {
            throw AttentionError(error.kind, "Embedding(\(vocabularySize) × \(channels)): \(error.message)")
        }
    }

    /// x (…, C) → (…, V) = x · tableᵀ: the output head of a model that ties it to this table.
    public func project(_ x: Tensor) throws -> Tensor {
        if let quantizedWeight { return try quantizedWeight.linear(x, bias: nil) }
        return try x.linear(weight: weight.value)
    }
}
