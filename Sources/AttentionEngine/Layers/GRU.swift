/// The gated recurrent unit, batch-first, unrolled over T, with PyTorch's equations and gate
/// order (r, z, n):
///
///     r = σ(x_r + h_r)    z = σ(x_z + h_z)    n = tanh(x_n + r · h_n)
///     h_t = (1 − z) · n + z · h_{t−1} = n + z · (h_{t−1} − n)
///
/// where x_· = x_t·W_iᵀ + b_i and h_· = h_{t−1}·W_hᵀ + b_h of each gate.
public final class GRU: Module {
    private let weights: RecurrentWeights
    public var localParameters: [(name: String, parameter: Parameter)] { weights.named }

    public init(inputSize: Int, hiddenSize: Int, rng: inout Random) throws {
        weights = try RecurrentWeights(layer: "GRU", inputSize: inputSize, hiddenSize: hiddenSize, gates: 3, rng: &rng)
    }

    /// x (B,T,I), initial state h0 (B,H) or zeros → (outputs (B,T,H), last state (B,H)).
    public func callAsFunction(_ x: Tensor, initialState: Tensor? = nil) throws -> (output: Tensor, state: Tensor) {
        let size = weights.hiddenSize
        var h = try weights.initialState(for: x, initialState)
        let projected = try weights.inputProjection(x)  // (B,T,3H)
        var outputs: [Tensor] = []
        for t in 0..<x.shape[1] {
            let xg = try projected.selected(1, index: t)  // (B,3H)
            let hg = try weights.hiddenProjection(h)      // (B,3H)
            let r = try (xg.gate(0, size: size) + hg.gate(0, size: size)).sigmoid()
            let z = try (xg.gate(1, size: size) + hg.gate(1, size: size)).sigmoid()
            let n = try (xg.gate(2, size: size) + r * hg.gate(2, size: size)).tanh()
            h = try n + z * (h - n)
            outputs.append(h)
        }
        return (try stackOutputs(outputs, like: x, hidden: size), h)
    }
}
