/// Generation that carries the recurrent state (the RNN's "cache").
final class RecurrentDecodingContext: DecodingContext {
    private let model: RecurrentLM
    private var states: [RecurrentLayer.State]?
    private(set) var length = 0

    init(model: RecurrentLM) { self.model = model }

    func append(_ tokens: [Int32]) throws -> [Float] {
        guard !tokens.isEmpty else { throw AttentionError.invalid("decoding: append needs at least one token") }
        if let bad = tokens.first(where: { $0 < 0 || Int($0) >= model.config.vocabularySize }) {
            throw AttentionError.invalid("RecurrentLM: token id \(bad) outside the vocabulary 0..<\(model.config.vocabularySize)")
        }
        let (logits, newStates) = try Autograd.withNoGrad {
            try model.run(tokens, batch: 1, time: tokens.count, states: states)
        }
        states = newStates
        length += tokens.count
        let vocab = model.config.vocabularySize
        return Array(logits.scalars[(tokens.count - 1) * vocab..<tokens.count * vocab])
    }
}

extension RecurrentLM: IncrementalDecoding {
    func makeIncrementalDecodingContext() -> any DecodingContext { RecurrentDecodingContext(model: self) }
}
