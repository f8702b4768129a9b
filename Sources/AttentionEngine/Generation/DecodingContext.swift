/// The state of one generation: tokens go in, the logits of the next token come out.
public protocol DecodingContext: AnyObject {
    /// Number of tokens fed so far.
    var length: Int { get }
    /// Feeds `tokens` (at least one) after those already fed and returns the logits (V) that
    /// predict the token after the last of them.
    func append(_ tokens: [Int32]) throws -> [Float]
    /// The attention weights of the last `append` when `recordsAttention` is on (empty for models
    /// without attention).
    var lastAttention: [AttentionMap] { get }
    /// Whether `append` keeps the attention weights of every layer and head.
    var recordsAttention: Bool { get set }
}

extension DecodingContext {
    public var lastAttention: [AttentionMap] { [] }
    public var recordsAttention: Bool {
        get { false }
        set {}
    }
}

/// The uncached reference context: keeps every token and runs the model's full forward pass over
/// the last `contextLength` tokens at each step (nanoGPT's `generate`).
final class WindowDecodingContext: DecodingContext {
    private let model: any LanguageModel
    private var tokens: [Int32] = []

    init(model: any LanguageModel) { self.model = model }

    var length: Int { tokens.count }

    func append(_ newTokens: [Int32]) throws -> [Float] {
        guard !newTokens.isEmpty else { throw AttentionError.invalid("decoding: append needs at least one token") }
        let window = Array((tokens + newTokens).suffix(model.contextLength))
        let logits = try Autograd.withNoGrad { try model.logits(tokens: window, batch: 1, time: window.count) }
        tokens += newTokens
        let vocab = model.vocabularySize
        return Array(logits.scalars[(window.count - 1) * vocab..<window.count * vocab])
    }
}

/// A model that decodes incrementally with its own state (a KV cache, a recurrent state)
/// instead of recomputing the window at every step.
protocol IncrementalDecoding {
    /// A fresh incremental decoding context for one sequence.
    func makeIncrementalDecodingContext() -> any DecodingContext
}

extension LanguageModel {
    /// A fresh per-generation state (KV cache, recurrent state or token window) for one
    /// sequence. The model is only read: several threads may each drive their own context.
    /// `cached: false` recomputes the whole window at every step (the reference), as does a
    /// model without incremental decoding.
    public func makeDecodingContext(cached: Bool) throws -> any DecodingContext {
        if cached, let incremental = self as? any IncrementalDecoding { return incremental.makeIncrementalDecodingContext() }
        return WindowDecodingContext(model: self)
    }
}
