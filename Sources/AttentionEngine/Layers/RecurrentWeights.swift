/// The parameters shared by the Elman RNN, GRU and LSTM layers, in PyTorch's layout and names:
/// weight_ih (G·H, I), weight_hh (G·H, H), bias_ih (G·H), bias_hh (G·H), where G is the number
/// of gates (1, 3, 4), I the input size and H the hidden size.
struct RecurrentWeights {
    let layer: String
    let inputSize: Int
    let hiddenSize: Int
    let weightIH, weightHH, biasIH, biasHH: Parameter

    /// All four drawn from U(−1/√H, 1/√H) (PyTorch's default), in the order listed.
    init(layer: String, inputSize: Int, hiddenSize: Int, gates: Int, rng: inout Random) throws {
        guard inputSize >= 0, hiddenSize >= 0 else {
            throw AttentionError.shape("\(layer)(inputSize: \(inputSize), hiddenSize: \(hiddenSize)): negative size")
        }
        self.layer = layer
        self.inputSize = inputSize
        self.hiddenSize = hiddenSize
        let bound = hiddenSize > 0 ? 1 / Float(hiddenSize).squareRoot() : 0
        func draw(_ shape: [Int]) throws -> Parameter {
            Parameter(try Tensor.uniform(shape, low: -bound, high: bound, using: &rng))
        }
        weightIH = try draw([gates * hiddenSize, inputSize])
        weightHH = try draw([gates * hiddenSize, hiddenSize])
        biasIH = try draw([gates * hiddenSize])
        biasHH = try draw([gates * hiddenSize])
    }

    var named: [(name: String, parameter: Parameter)] {
        [("weight_ih", weightIH), ("weight_hh", weightHH), ("bias_ih", biasIH), ("bias_hh", biasHH)]
    }

    /// Checks x (B,T,I) and an initial state (B,H) (zeros when nil); returns the initial state.
    func initialState(for x: Tensor, _ state: Tensor?, name: String = "initial state") throws -> Tensor {
        guard x.rank == 3, x.shape[2] == inputSize else {
            throw AttentionError.shape("\(layer)(\(inputSize) → \(hiddenSize)): input \(x.shape) is not (B,T,\(inputSize))")
        }
        let expected = [x.shape[0], hiddenSize]
        guard let state else { return try Tensor.zeros(expected) }
        guard state.shape == expected else {
            throw AttentionError.shape("\(layer)(\(inputSize) → \(hiddenSize)): \(name) \(state.shape) is not (B,H) = \(expected)")
        }
        return state
    }

    /// x·W_ihᵀ + b_ih for all steps at once: x (B,T,I) → (B,T,G·H), one GEMM.
    func inputProjection(_ x: Tensor) throws -> Tensor {
        try x.linear(weight: weightIH.value, bias: biasIH.value)
    }

    /// h·W_hhᵀ + b_hh: h (B,H) → (B,G·H).
    func hiddenProjection(_ h: Tensor) throws -> Tensor {
        try h.linear(weight: weightHH.value, bias: biasHH.value)
    }
}

extension Tensor {
    /// Gate `index` of width `size` along the last dimension: (B, G·H) → (B, H).
    func gate(_ index: Int, size: Int) throws -> Tensor {
        try narrowed(rank - 1, start: index * size, length: size)
    }
}
