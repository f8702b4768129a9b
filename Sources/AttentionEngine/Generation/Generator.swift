/// Options of one generation.
public struct GenerationOptions: Sendable {
    /// Stop after this many new tokens.
    public var maxNewTokens: Int
    public var sampling: SamplingOptions
    /// Stop after generating EOS (`CharTokenizer.eos`, included in the result).
    public var stopAtEOS: Bool
    /// Use the model's KV cache / recurrent state (false: recompute the window every step).
    public var useCache: Bool
    /// Keep the logits (V) of every step in the result.
    public var recordLogits: Bool
    /// Keep the attention maps of every step in the result (attention models only).
    public var recordAttention: Bool

    public init(maxNewTokens: Int, sampling: SamplingOptions = .greedy, stopAtEOS: Bool = true,
                useCache: Bool = true, recordLogits: Bool = false, recordAttention: Bool = false) {
        self.maxNewTokens = maxNewTokens
        self.sampling = sampling
        self.stopAtEOS = stopAtEOS
        self.useCache = useCache
        self.recordLogits = recordLogits
        self.recordAttention = recordAttention
    }
}

/// The outcome of one generation.
public struct GenerationResult {
    /// The new tokens (without the prompt).
    public var tokens: [Int32] = []
    /// Per step, the logits (V) the token was drawn from (with `recordLogits`).
    public var logits: [[Float]] = []
    /// Per step, the attention maps of every layer (with `recordAttention`): the first step has
    /// the prompt's queries, later steps one query each.
    public var attention: [[AttentionMap]] = []
    /// True when generation ended on EOS rather than the token limit.
    public var stoppedAtEOS = false
}

/// Autoregressive generation on a decoding context: feed the prompt, then repeatedly draw a
/// token and feed it back, without recording autograd. PAD and BOS are never drawn (no training
/// target is ever PAD or BOS, so only an untrained model would pick them, and their text is
/// empty). `onToken` sees each new token as soon as it is drawn (EOS included) and returns false
/// to stop after it.
///
///     let result = try generate(model: gpt, prompt: tokenizer.encode("道可道"),
///                               options: GenerationOptions(maxNewTokens: 50))
///     print(try tokenizer.decode(result.tokens))
public func generate(context: any DecodingContext, prompt: [Int32], options: GenerationOptions,
                     onToken: ((Int32) throws -> Bool)? = nil) throws -> GenerationResult {
    guard !prompt.isEmpty else { throw AttentionError.invalid("generate: the prompt is empty (start with BOS)") }
    guard options.maxNewTokens >= 0 else {
        throw AttentionError.invalid("generate: maxNewTokens \(options.maxNewTokens) must be >= 0")
    }
    var sampler = try Sampler(options.sampling)
    var result = GenerationResult()
    context.recordsAttention = options.recordAttention
    try Autograd.withNoGrad {
        var feed = prompt
        while result.tokens.count < options.maxNewTokens {
            let logits = try context.append(feed)
            if options.recordLogits { result.logits.append(logits) }
            if options.recordAttention { result.attention.append(context.lastAttention) }
            let token = try sampler.sample(withoutPaddingAndBOS(logits))
            result.tokens.append(token)
            let proceed = try onToken?(token) ?? true
            if options.stopAtEOS && token == CharTokenizer.eos {
                result.stoppedAtEOS = true
                break
            }
            if !proceed { break }
            feed = [token]
        }
    }
    return result
}

/// Generates a continuation of `prompt` with a fresh decoding context of `model`.
public func generate(model: any LanguageModel, prompt: [Int32], options: GenerationOptions,
                     onToken: ((Int32) throws -> Bool)? = nil) throws -> GenerationResult {
    try generate(context: model.makeDecodingContext(cached: options.useCache), prompt: prompt, options: options,
                 onToken: onToken)
}

/// `logits` with PAD and BOS set to −∞ (when the vocabulary has them), so sampling skips them.
private func withoutPaddingAndBOS(_ logits: [Float]) -> [Float] {
    var candidates = logits
    for id in [CharTokenizer.pad, CharTokenizer.bos] where Int(id) < candidates.count - 1 {
        candidates[Int(id)] = -.infinity
    }
    return candidates
}
