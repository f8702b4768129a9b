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
