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
        guard size >= 1 else { throw AttentionError.invalid("pair batches: batch size \(size) must be >= 1") }
        return batch(indices: (0..<size).map { _ in rng.nextInt(below: pairs.count) })
    }

    /// The pairs at `indices`, padded (indices must be valid).
    public func batch(indices: [Int]) -> PairBatch {
        PairBatch(rows: indices.map { pairs[$0] })
    }
}

/// A padded seq2seq batch: source (B,Ts) with its padding mask (B·Ts, true = PAD), decoder input
/// and targets (B,Tt) (PAD targets are ignored by the loss).
public struct PairBatch: Equatable, Sendable {
    public var source: [Int32]
    public var sourcePaddingMask: [Bool]
    public var decoderInput: [Int32]
    public var targets: [Int32]
    public var batch: Int
    public var sourceLength: Int
    public var targetLength: Int
}

extension PairBatch {
    /// The answer tokens the loss counts: targets that are not PAD (answers plus EOS).
    public var targetTokenCount: Int { targets.filter { $0 != CharTokenizer.pad }.count }

    /// Pads `rows` (question ids, answer ids without BOS/EOS) into one batch: sources to the
    /// longest question, decoder inputs BOS + answer and targets answer + EOS to the longest
    /// answer + 1, with PAD.
    public init(rows: [(question: [Int32], answer: [Int32])]) {
        let Ts = rows.map(\.question.count).max() ?? 0, Tt = (rows.map(\.answer.count).max() ?? 0) + 1
        self.init(source: [], sourcePaddingMask: [], decoderInput: [], targets: [],
                  batch: rows.count, sourceLength: Ts, targetLength: Tt)
        let pad = CharTokenizer.pad
        for (question, answer) in rows {
            source += question + Array(repeating: pad, count: Ts - question.count)
            sourcePaddingMask += Array(repeating: false, count: question.count)
                + Array(repeating: true, count: Ts - question.count)
            let fill = Array(repeating: pad, count: Tt - 1 - answer.count)
            decoderInput += [CharTokenizer.bos] + answer + fill
            targets += answer + [CharTokenizer.eos] + fill
        }
    }
}
