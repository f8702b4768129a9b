/// Layer normalization over the channels with a learned scale (ones) and shift (zeros).
public final class LayerNorm: Module {
    public let weight: Parameter  // (C)
    public let bias: Parameter    // (C)
    public let eps: Float
    public var localParameters: [(name: String, parameter: Parameter)] { [("weight", weight), ("bias", bias)] }

    public init(channels: Int, eps: Float = 1e-5) throws {
        guard channels >= 0 else { throw AttentionError.shape("LayerNorm(channels: \(channels)): negative size") }
        weight = Parameter(try Tensor.ones([channels]))
        bias = Parameter(try Tensor.zeros([channels]))
        self.eps = eps
    }

    /// x (…, C) → (…, C).
    public func callAsFunction(_ x: Tensor) throws -> Tensor {
        let channels = weight.shape[0]
        guard x.rank >= 1, x.shape[x.rank - 1] == channels else {
            throw AttentionError.shape("LayerNorm(\(channels)): input \(x.shape) does not end in \(channels)")
        }
        return try x.layerNorm(weight: weight.value, bias: bias.value, eps: eps)
    }
}
