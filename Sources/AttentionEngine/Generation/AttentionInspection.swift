/// What self-attention looks at: the attention probabilities of one layer, every head, for one
/// sequence.
///
/// `weights` (NH,Tq,Tk): row i of head h is the distribution over the Tk keys that query i
/// attended to (rows sum to 1; 0 for causally hidden or padded keys). In a prompt inspection the
/// queries are the prompt positions; during cached generation each step has one query (the new
/// token) over every token so far.
public struct AttentionMap {
    public enum Kind: String, Sendable {
        /// Causal self-attention of a GPT block or a seq2seq decoder block.
        case selfAttention = "self"
        /// Bidirectional self-attention of a seq2seq encoder block.
        case encoderSelfAttention = "encoder"
        /// A seq2seq decoder block's attention over the encoder output (queries: answer tokens,
        /// keys: question tokens).
        case crossAttention = "cross"
    }

    public let kind: Kind
    public let layer: Int
    /// (NH,Tq,Tk)
    public let weights: Tensor

    /// From the probabilities of a batch of one, (1,NH,Tq,Tk).
    init(kind: Kind, layer: Int, batchWeights: Tensor) throws {
        self.kind = kind
        self.layer = layer
        weights = try batchWeights.reshaped(Array(batchWeights.shape.dropFirst()))
    }

    public var heads: Int { weights.shape[0] }
    public var queryLength: Int { weights.shape[1] }
    public var keyLength: Int { weights.shape[2] }

    /// The weights of `head` as rows (Tq arrays of Tk probabilities).
    public func rows(head: Int) -> [[Float]] {
        let values = weights.scalars
        return (0..<queryLength).map { i in
            Array(values[(head * queryLength + i) * keyLength..<(head * queryLength + i + 1) * keyLength])
        }
    }
}

extension GPT {
    /// The attention weights of every layer and head when the model reads `prompt`
    /// (1 ≤ count ≤ block_size): one map per layer, (NH,T,T), causal (row i is 0 after i).
    public func inspectAttention(prompt: [Int32]) throws -> [AttentionMap] {
        guard !prompt.isEmpty else { throw AttentionError.invalid("GPT.inspectAttention: the prompt is empty") }
        let weights = try Autograd.withNoGrad { try decode(prompt, cache: nil, returnWeights: true).weights }
        return try weights.enumerated().map { try AttentionMap(kind: .selfAttention, layer: $0.offset, batchWeights: $0.element) }
    }
}

extension Seq2Seq {
    /// What the model looks at while reading `question` and writing `answer` (teacher-forced,
    /// decoder input BOS + answer): per encoder layer (NH,Ts,Ts) `.encoderSelfAttention`, per
    /// decoder layer (NH,Tt,Tt) `.selfAttention` and (NH,Tt,Ts) `.crossAttention`.
    public func inspectAttention(question: [Int32], answer: [Int32]) throws -> [AttentionMap] {
        try Autograd.withNoGrad {
            let (memory, encoderWeights) = try self.memory(question: question, returnWeights: true)
            let result = try decode([CharTokenizer.bos] + answer, memory: memory, cache: nil, returnWeights: true)
            return try encoderWeights.enumerated().map { try AttentionMap(kind: .encoderSelfAttention, layer: $0.offset, batchWeights: $0.element) }
                + result.selfWeights.enumerated().map { try AttentionMap(kind: .selfAttention, layer: $0.offset, batchWeights: $0.element) }
                + result.crossWeights.enumerated().map { try AttentionMap(kind: .crossAttention, layer: $0.offset, batchWeights: $0.element) }
        }
    }
}

/// A model whose attention can be shown for a text: what `attn_context_attention`, Python's
/// `Context.attention` and `attn attend` call, whatever the kind.
public protocol AttentionInspecting: Module {
    /// The most tokens `inspectAttention(text:answer:)` takes as text.
    var inspectableTextLength: Int { get }
    /// The most tokens it takes as an answer; nil when the model reads no answer (a GPT).
    var inspectableAnswerLength: Int? { get }
    /// The maps of every layer when the model reads `text` (1…`inspectableTextLength` tokens)
    /// and, for a model that answers, `answer` (nil: its own greedy answer).
    func inspectAttention(text: [Int32], answer: [Int32]?) throws -> [AttentionMap]
}

extension GPT: AttentionInspecting {
    public var inspectableTextLength: Int { config.contextLength }
    public var inspectableAnswerLength: Int? { nil }

    public func inspectAttention(text: [Int32], answer: [Int32]?) throws -> [AttentionMap] {
        guard answer == nil else { throw AttentionError.invalid("an answer only applies to seq2seq models") }
        return try inspectAttention(prompt: text)
    }
}

extension Seq2Seq: AttentionInspecting {
    public var inspectableTextLength: Int { config.maxSourceLength }
    /// The longest answer training accepts (the last target is EOS).
    public var inspectableAnswerLength: Int? { config.maxTargetLength - 1 }

    public func inspectAttention(text: [Int32], answer: [Int32]?) throws -> [AttentionMap] {
        let answer = try answer ?? {
            let greedy = GenerationOptions(maxNewTokens: config.maxTargetLength - 1)
            let result = try self.answer(question: text, options: greedy)
            return result.stoppedAtEOS ? Array(result.tokens.dropLast()) : result.tokens
        }()
        return try inspectAttention(question: text, answer: answer)
    }
}
