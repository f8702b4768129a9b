/// Configuration of the recurrent language model: the cell (GRU or LSTM), stacked layers, the
/// embedding width, the hidden size, the training window (block_size) and the vocabulary size.
public struct RecurrentLMConfig: Equatable, Sendable {
    public enum Cell: String, Sendable { case gru, lstm }

    public var cell: Cell
    public var nLayer: Int
    public var nEmbd: Int
    public var hiddenSize: Int
    public var contextLength: Int
    public var vocabularySize: Int

    public init(cell: Cell, nLayer: Int, nEmbd: Int, hiddenSize: Int, contextLength: Int, vocabularySize: Int) {
        self.cell = cell
        self.nLayer = nLayer
        self.nEmbd = nEmbd
        self.hiddenSize = hiddenSize
        self.contextLength = contextLength
        self.vocabularySize = vocabularySize
    }

    /// Throws unless every size is positive.
    public func validate() throws {
        let sizes = [("n_layer", nLayer), ("n_embd", nEmbd), ("hidden_size", hiddenSize), ("block_size", contextLength),
                     ("vocab_size", vocabularySize)]
        for (name, value) in sizes where value <= 0 {
            throw AttentionError.invalid("RecurrentLMConfig: \(name) = \(value) must be positive")
        }
    }

    /// The fields as strings, plus "model": "rnn".
    public var dictionary: [String: String] {
        ["model": "rnn", "cell": cell.rawValue, "n_layer": "\(nLayer)", "n_embd": "\(nEmbd)",
         "hidden_size": "\(hiddenSize)", "block_size": "\(contextLength)", "vocab_size": "\(vocabularySize)"]
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
///                               hiddenSize: 128, contextLength: 64, vocabularySize: V), seed: 1)
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
        wte = try Embedding(vocabularySize: config.vocabularySize, channels: config.nEmbd, rng: &rng)
        layers = try (0..<config.nLayer).map { index in
            let input = index == 0 ? config.nEmbd : config.hiddenSize
            switch config.cell {
            case .gru: return .gru(try GRU(inputSize: input, hiddenSize: config.hiddenSize, rng: &rng))
            case .lstm: return .lstm(try LSTM(inputSize: input, hiddenSize: config.hiddenSize, rng: &rng))
            }
        }
        lmHead = try Linear(inFeatures: config.hiddenSize, outFeatures: config.vocabularySize, rng: &rng)
    }

    public var vocabularySize: Int { config.vocabularySize }
    public var contextLength: Int { config.contextLength }
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
}
