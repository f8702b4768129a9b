/// A dense layer y = x·Wᵀ + b (the neuron y = G(a·x + b) is a Linear followed by an activation).
public final class Linear: Module, QuantizableWeight {
    public let weight: Parameter  // (OUT, IN)
    public let bias: Parameter?   // (OUT)
    public let inFeatures: Int
    public let outFeatures: Int
    public var localParameters: [(name: String, parameter: Parameter)] {
        [("weight", weight)] + (bias.map { [("bias", $0)] } ?? [])
    }

    /// Weight and bias drawn from U(−1/√IN, 1/√IN) (PyTorch's default), in that order from `rng`.
    /// Throws for a negative size.
    public init(inFeatures: Int, outFeatures: Int, bias: Bool = true, rng: inout Random) throws {
        guard inFeatures >= 0, outFeatures >= 0 else {
            throw AttentionError.shape("Linear(inFeatures: \(inFeatures), outFeatures: \(outFeatures)): negative size")
        }
        self.inFeatures = inFeatures
        self.outFeatures = outFeatures
        let bound = inFeatures > 0 ? 1 / Float(inFeatures).squareRoot() : 0
        weight = Parameter(try Tensor.uniform([outFeatures, inFeatures], low: -bound, high: bound, using: &rng))
        self.bias = bias ? Parameter(try Tensor.uniform([outFeatures], low: -bound, high: bound, using: &rng)) : nil
    }

    /// The weight narrowed for inference (`Module.quantize(to:)`); when set, the FP32 weight is
    /// released and the layer runs forward only, through this matrix.
    public private(set) var quantizedWeight: QuantizedMatrix?

    public func adoptQuantizedWeight(_ matrix: QuantizedMatrix) throws {
        try checkAdoptable(matrix, layer: "Linear(\(inFeatures) → \(outFeatures))")
        quantizedWeight = matrix
        weight.releaseValue()
    }

    /// x (…, IN) → (…, OUT).
    public func callAsFunction(_ x: Tensor) throws -> Tensor {
        guard x.rank >= 1, x.shape[x.rank - 1] == inFeatures else {
            throw AttentionError.shape("Linear(\(inFeatures) → \(outFeatures)): input \(x.shape) does not end in \(inFeatures)")
        }
        if let quantizedWeight { return try quantizedWeight.linear(x, bias: bias?.value) }
        return try x.linear(weight: weight.value, bias: bias?.value)
    }
}
