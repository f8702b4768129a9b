/// The Elman recurrent layer, batch-first, unrolled over T:
///
///     h_t = tanh(x_t·W_ihᵀ + b_ih + h_{t−1}·W_hhᵀ + b_hh)
public final class ElmanRNN: Module {
    private let weights: RecurrentWeights
    public var localParameters: [(name: String, parameter: Parameter)] { weights.named }

    public init(inputSize: Int, hiddenSize: Int, rng: inout Random) throws {
        weights = try RecurrentWeights(layer: "ElmanRNN", inputSize: inputSize, hiddenSize: hiddenSize, gates: 1, rng: &rng)
    }

    /// x (B,T,I), initial state h0 (B,H) or zeros → (outputs (B,T,H), last state (B,H)).
    public func callAsFunction(_ x: Tensor, initialState: Tensor? = nil) throws -> (output: Tensor, state: Tensor) {
        var h = try weights.initialState(for: x, initialState)
        let projected = try weights.inputProjection(x)  // (B,T,H)
        var outputs: [Tensor] = []
        for t in 0..<x.shape[1] {
            h = try (projected.selected(1, index: t) + weights.hiddenProjection(h)).tanh()
            outputs.append(h)
        }
        return (try stackOutputs(outputs, like: x, hidden: weights.hiddenSize), h)
    }
}

/// The per-step states (B,H) stacked into (B,T,H); (B,0,H) for an empty sequence.
func stackOutputs(_ outputs: [Tensor], like x: Tensor, hidden: Int) throws -> Tensor {
    outputs.isEmpty ? try Tensor.zeros([x.shape[0], 0, hidden]) : try Tensor.stacked(outputs, along: 1)
}
