/// Configuration of the recurrent language model: the cell (GRU or LSTM), stacked layers, the
/// embedding width, the hidden size, the training window (block_size) and the vocabulary size.
public struct RecurrentLMConfig: Equatable, Sendable {
    public enum Cell: String, Sendable { case gru, lstm }

    public var cell: Cell
    public var nLayer: Int
    public var nEmbd: Int
    public var hiddenSize: Int
    public var blockSize: Int
    public var vocabSize: Int

    public init(cell: Cell, nLayer: Int, nEmbd: Int, hiddenSize: Int, blockSize: Int, vocabSize: Int) {
        self.cell = cell
        self.nLayer = nLayer
        self.nEmbd = nEmbd
        self.hiddenSize = hiddenSize
        self.blockSize = blockSize
        self.vocabSize = vocabSize
    }

    /// Throws unless every size is positive.
    public func validate() throws {
        let sizes = [("n_layer", nLayer), ("n_embd", nEmbd), ("hidden_size", hiddenSize), ("block_size", blockSize),
                     ("vocab_size", vocabSize)]
        for (name, value) in sizes where value <= 0 {
            throw AttentionError.invalid("RecurrentLMConfig: \(name) = \(value) must be positive")
        }
    }

    /// The fields as strings, plus "model": "rnn".
    public var dictionary: [String: String] {
        ["model": "rnn", "cell": cell.rawValue, "n_layer": "\(nLayer)", "n_embd": "\(nEmbd)",
         "hidden_size": "\(hiddenSize)", "block_size": "\(blockSize)", "vocab_size": "\(vocabSize)"]
    }
}

/// One recurrent layer of either kind and its state between calls.
enum RecurrentLayer {
    case gru(GRU)
    case lstm(LSTM)

    /// h (B,H) for a GRU; (h, c) for an LSTM.
    enum State {
        case gru(Tensor)
        case lstm(h: Tensor, c: Tensor)
    }

    var module: any Module {
        switch self {
        case .gru(let layer): return layer
        case .lstm(let layer): return layer
        }
    }

    /// x (B,T,I) from `state` (zeros when nil) → outputs (B,T,H) and the last state.
    func callAsFunction(_ x: Tensor, state: State?) throws -> (output: Tensor, state: State) {
        switch (self, state) {
        case (.gru(let layer), .gru(let h)?): let r = try layer(x, initialState: h); return (r.output, .gru(r.state))
        case (.gru(let layer), _): let r = try layer(x); return (r.output, .gru(r.state))
        case (.lstm(let layer), .lstm(let h, let c)?): let r = try layer(x, initialState: (h, c)); return (r.output, .lstm(h: r.state.h, c: r.state.c))
        case (.lstm(let layer), _): let r = try layer(x); return (r.output, .lstm(h: r.state.h, c: r.state.c))
        }
    }
}

/// A recurrent language model: token embedding `wte` (V,E) → n_layer GRU or LSTM layers `rnn.{i}`
/// (PyTorch's weight_ih, weight_hh, bias_ih, bias_hh) → output head `lm_head` (V,H).
///
/// Generation carries the recurrent state from token to token (`makeDecodingContext(cached:
/// true)`), so a step costs one cell update per layer whatever the length.
///
///     let rnn = try RecurrentLM(config: RecurrentLMConfig(cell: .gru, nLayer: 1, nEmbd: 64,
///                               hiddenSize: 128, blockSize: 64, vocabSize: V), seed: 1)
public final class RecurrentLM: LanguageModel {
    public let config: RecurrentLMConfig
    public let wte: Embedding
    let layers: [RecurrentLayer]
    public let lmHead: Linear
    public var children: [(name: String, module: any Module)] {
        [("wte", wte)] + layers.enumerated().map { ("rnn.\($0.offset)", $0.element.module) } + [("lm_head", lmHead)]
    }

    /// Validates `config`; embedding N(0, 0.02²), recurrent and head weights PyTorch's default
    /// uniform, drawn from `Random(seed:)`.
    public init(config: RecurrentLMConfig, seed: UInt64) throws {
        try config.validate()
        self.config = config
        var rng = Random(seed: seed)
        wte = try Embedding(vocabularySize: config.vocabSize, channels: config.nEmbd, rng: &rng)
        layers = try (0..<config.nLayer).map { index in
            let input = index == 0 ? config.nEmbd : config.hiddenSize
            switch config.cell {
            case .gru: return .gru(try GRU(inputSize: input, hiddenSize: config.hiddenSize, rng: &rng))
            case .lstm: return .lstm(try LSTM(inputSize: input, hiddenSize: config.hiddenSize, rng: &rng))
            }
        }
        lmHead = try Linear(inFeatures: config.hiddenSize, outFeatures: config.vocabSize, rng: &rng)
    }

    public var vocabularySize: Int { config.vocabSize }
    public var contextLength: Int { config.blockSize }
    public var configDictionary: [String: String] { config.dictionary }

    public func logits(tokens: [Int32], batch: Int, time: Int) throws -> Tensor {
        try checkTokens(tokens, batch: batch, time: time, model: "RecurrentLM")
        return try run(tokens, batch: batch, time: time, states: nil).logits
    }

    /// tokens (B,T) from per-layer `states` (zeros when nil) → logits (B,T,V) and the last states.
    func run(_ tokens: [Int32], batch: Int, time: Int, states: [RecurrentLayer.State]?) throws
        -> (logits: Tensor, states: [RecurrentLayer.State]) {
        var x = try wte(tokens, shape: [batch, time])
        var last: [RecurrentLayer.State] = []
        for (index, layer) in layers.enumerated() {
            let result = try layer(x, state: states?[index])
            x = result.output
            last.append(result.state)
        }
        return (try lmHead(x), last)
    }

    public func makeDecodingContext(cached: Bool) throws -> any DecodingContext {
        cached ? RecurrentDecodingContext(model: self) : WindowDecodingContext(model: self)
    }
}

/// Generation that carries the recurrent state (the RNN's "cache").
final class RecurrentDecodingContext: DecodingContext {
    private let model: RecurrentLM
    private var states: [RecurrentLayer.State]?
    private(set) var length = 0

    init(model: RecurrentLM) { self.model = model }

    func append(_ tokens: [Int32]) throws -> [Float] {
        guard !tokens.isEmpty else { throw AttentionError.invalid("decoding: append needs at least one token") }
        if let bad = tokens.first(where: { $0 < 0 || Int($0) >= model.config.vocabSize }) {
            throw AttentionError.invalid("RecurrentLM: token id \(bad) outside the vocabulary 0..<\(model.config.vocabSize)")
        }
        let (logits, newStates) = try Autograd.withNoGrad {
            try model.run(tokens, batch: 1, time: tokens.count, states: states)
        }
        states = newStates
        length += tokens.count
        let vocab = model.config.vocabSize
        return Array(logits.scalars[(tokens.count - 1) * vocab..<tokens.count * vocab])
    }
}
