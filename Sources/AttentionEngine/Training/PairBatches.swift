/// Seq2seq training batches from question–answer pairs, padded with PAD and masked.
///
/// Each pair becomes source = question ids, decoder input = BOS + answer ids, targets =
/// answer ids + EOS. A batch pads every row to its longest source (Ts) and target (Tt) with PAD;
/// `sourcePaddingMask` marks the padded source positions (hidden from attention) and padded
/// targets are PAD, which the loss ignores.
///
///     let data = try PairBatches(pairs: DefaultData.dialoguePairs, tokenizer: tokenizer,
///                                maxSourceLength: 32, maxTargetLength: 32)
public struct PairBatches: Sendable {
    /// The encoded pairs: question ids and answer ids (without BOS/EOS).
    public let pairs: [(question: [Int32], answer: [Int32])]

    /// Throws for no pairs, an empty side, or a question longer than `maxSourceLength` or an
    /// answer longer than `maxTargetLength − 1` tokens (EOS needs one place), naming the pair.
    public init(pairs: [DialoguePair], tokenizer: CharTokenizer, maxSourceLength: Int, maxTargetLength: Int) throws {
        guard !pairs.isEmpty else { throw AttentionError.invalid("pair batches: no pairs") }
        self.pairs = try pairs.enumerated().map { index, pair in
            let question = tokenizer.encode(pair.question), answer = tokenizer.encode(pair.answer)
            guard !question.isEmpty, !answer.isEmpty else {
                throw AttentionError.invalid("pair batches: pair \(index + 1) has an empty side")
            }
            guard question.count <= maxSourceLength, answer.count < maxTargetLength else {
                throw AttentionError.invalid(
                    "pair batches: pair \(index + 1) (\(question.count) → \(answer.count) tokens) exceeds the model's lengths (question ≤ \(maxSourceLength), answer ≤ \(maxTargetLength - 1))")
            }
            return (question, answer)
        }
    }

    /// `size` pairs drawn with replacement from `rng` (one `nextInt` each, in order).
    public func batch(size: Int, using rng: inout Random) throws -> PairBatch {
        batch(indices: try indices(size: size, using: &rng))
    }

    /// The indices of `size` pairs drawn with replacement from `rng`, as `batch(size:using:)`.
    public func indices(size: Int, using rng: inout Random) throws -> [Int] {
        guard size >= 1 else { throw AttentionError.invalid("pair batches: batch size \(size) must be >= 1") }
        return (0..<size).map { _ in rng.nextInt(below: pairs.count) }
    }

    /// The pairs at `indices`, padded (indices must be valid).
    public func batch(indices: [Int]) -> PairBatch {
        PairBatch(rows: indices.map { pairs[$0] })
    }
}
