/// Long short-term memory, batch-first, unrolled over T, with PyTorch's equations and gate
/// order (i, f, g, o):
///
///     i = σ(·)  f = σ(·)  g = tanh(·)  o = σ(·)   of  x_t·W_ihᵀ + b_ih + h_{t−1}·W_hhᵀ + b_hh
///     c_t = f · c_{t−1} + i · g        h_t = o · tanh(c_t)
public final class LSTM: Module {
    private let weights: RecurrentWeights
    public var localParameters: [(name: String, parameter: Parameter)] { weights.named }

    public init(inputSize: Int, hiddenSize: Int, rng: inout Random) throws {
        weights = try RecurrentWeights(layer: "LSTM", inputSize: inputSize, hiddenSize: hiddenSize, gates: 4, rng: &rng)
    }

    /// x (B,T,I), initial (h0, c0) each (B,H) or zeros → (outputs (B,T,H), last h (B,H), last c (B,H)).
    public func callAsFunction(_ x: Tensor, initialState: (h: Tensor, c: Tensor)? = nil) throws
        -> (output: Tensor, state: (h: Tensor, c: Tensor)) {
        let size = weights.hiddenSize
        var h = try weights.initialState(for: x, initialState?.h, name: "initial h")
        var c = try weights.initialState(for: x, initialState?.c, name: "initial c")
        let projected = try weights.inputProjection(x)  // (B,T,4H)
        var outputs: [Tensor] = []
        for t in 0..<x.shape[1] {
            let gates = try projected.selected(1, index: t) + weights.hiddenProjection(h)  // (B,4H)
            let i = try gates.gate(0, size: size).sigmoid()
            let f = try gates.gate(1, size: size).sigmoid()
            let g = try gates.gate(2, size: size).tanh()
            let o = try gates.gate(3, size: size).sigmoid()
            c = try f * c + i * g
            h = try o * c.tanh()
            outputs.append(h)
        }
        return (try stackOutputs(outputs, like: x, hidden: size), (h, c))
    }
}
