/// A 1-D convolution over time on channels-last sequences, as im2col + GEMM.
///
/// x (B,T,IN) → y (B,T,OUT): y[b,t,o] = bias[o] + Σ_{c,j} weight[o,c,j] · x[b, t − padLeft + j·dilation, c]
/// with zeros outside the sequence. Padding keeps the length T:
/// - `.causal`: padLeft = (K−1)·dilation, so step t sees only steps ≤ t (sequence models);
/// - `.same`: padLeft = (K−1)·dilation / 2 (centred, the rest on the right).
public final class Conv1d: Module {
    public enum Padding: Sendable { case causal, same }

    public let weight: Parameter  // (OUT, IN, K), PyTorch's layout
    public let bias: Parameter?   // (OUT)
    public let kernelSize: Int
    public let dilation: Int
    public let padding: Padding
    public var localParameters: [(name: String, parameter: Parameter)] {
        [("weight", weight)] + (bias.map { [("bias", $0)] } ?? [])
    }

    /// Weight and bias from U(−1/√(IN·K), 1/√(IN·K)) (PyTorch's default). Throws for negative
    /// channel counts, K < 1 or dilation < 1.
    public init(inChannels: Int, outChannels: Int, kernelSize: Int, dilation: Int = 1,
                padding: Padding, bias: Bool = true, rng: inout Random) throws {
        guard inChannels >= 0, outChannels >= 0, kernelSize >= 1, dilation >= 1 else {
            throw AttentionError.shape(
                "Conv1d(in: \(inChannels), out: \(outChannels), kernel: \(kernelSize), dilation: \(dilation)): sizes must be >= 0, kernel and dilation >= 1")
        }
        let fanIn = inChannels * kernelSize
        let bound = fanIn > 0 ? 1 / Float(fanIn).squareRoot() : 0
        weight = Parameter(try Tensor.uniform([outChannels, inChannels, kernelSize], low: -bound, high: bound, using: &rng))
        self.bias = bias ? Parameter(try Tensor.uniform([outChannels], low: -bound, high: bound, using: &rng)) : nil
        self.kernelSize = kernelSize
        self.dilation = dilation
        self.padding = padding
    }

    /// x (B,T,IN) → (B,T,OUT).
    public func callAsFunction(_ x: Tensor) throws -> Tensor {
        let (outChannels, inChannels) = (weight.shape[0], weight.shape[1])
        guard x.rank == 3, x.shape[2] == inChannels else {
            throw AttentionError.shape("Conv1d(\(inChannels) → \(outChannels), kernel \(kernelSize)): input \(x.shape) is not (B,T,\(inChannels))")
        }
        let span = (kernelSize - 1) * dilation
        let cols = try x.im2col(kernelSize: kernelSize, dilation: dilation,
                                padLeft: padding == .causal ? span : span / 2)  // (B,T,IN·K)
        let matrix = try weight.value.reshaped([outChannels, inChannels * kernelSize])
        return try cols.linear(weight: matrix, bias: bias?.value)
    }
}
