#if canImport(Glibc)
import Glibc
#else
import Darwin
#endif

/// How the next token is chosen from the logits.
///
/// - `temperature` 0: greedy (the largest logit; the lowest id on ties). Otherwise the logits
///   are divided by the temperature before the softmax.
/// - `topK`: only the k most likely tokens stay candidates.
/// - `topP` (nucleus): only the smallest set of most likely tokens whose probabilities add up to
///   at least p stays.
/// - `seed`: the draws come from `Random(seed:)`, so the same seed gives the same text.
public struct SamplingOptions: Equatable, Sendable {
    public var temperature: Float
    public var topK: Int?
    public var topP: Float?
    public var seed: UInt64

    public init(temperature: Float = 1, topK: Int? = nil, topP: Float? = nil, seed: UInt64 = 0) {
        self.temperature = temperature
        self.topK = topK
        self.topP = topP
        self.seed = seed
    }

    /// Greedy decoding.
    public static let greedy = SamplingOptions(temperature: 0)

    /// Throws unless temperature is finite and ≥ 0, topK ≥ 1 and 0 < topP ≤ 1.
    public func validate() throws {
        guard temperature.isFinite, temperature >= 0 else {
            throw AttentionError.invalid("sampling: temperature \(temperature) must be finite and >= 0")
        }
        if let topK, topK < 1 { throw AttentionError.invalid("sampling: top-k \(topK) must be >= 1") }
        if let topP, !(topP > 0 && topP <= 1) { throw AttentionError.invalid("sampling: top-p \(topP) must be in (0, 1]") }
    }
}

/// Draws token ids from logits with `SamplingOptions`, one seeded generator per sequence.
public struct Sampler {
    public let options: SamplingOptions
    private var rng: Random

    public init(_ options: SamplingOptions) throws {
        try options.validate()
        self.options = options
        rng = Random(seed: options.seed)
    }

    /// The next token id for `logits` (V ≥ 1). −∞ marks a token that must not be chosen; a NaN
    /// or +∞ logit (a model with non-finite weights or an overflowing activation), or logits that
    /// are all −∞, is `AttentionError.invalid` naming the first bad id — never a silent PAD.
    public mutating func sample(_ logits: [Float]) throws -> Int32 {
        guard !logits.isEmpty else { throw AttentionError.invalid("sampling: empty logits") }
        if let bad = logits.firstIndex(where: { $0.isNaN || $0 == .infinity }) {
            throw AttentionError.invalid(
                "sampling: the model produced a non-finite logit (\(logits[bad]) for token id \(bad)); its weights or activations are not finite")
        }
        guard logits.contains(where: { $0 != -.infinity }) else {
            throw AttentionError.invalid("sampling: every logit is -inf; no token can be chosen")
        }
        if options.temperature == 0 { return Int32(argmax(logits)) }
        // Candidates by decreasing logit (ties: lower id first), −∞ excluded (never empty: see above).
        var order = logits.indices.filter { logits[$0] != -.infinity }
        order.sort { logits[$0] > logits[$1] || (logits[$0] == logits[$1] && $0 < $1) }
        if let topK = options.topK { order = Array(order.prefix(topK)) }
        // Softmax over the candidates in Double.
        let top = Double(logits[order[0]]), temperature = Double(options.temperature)
        var probabilities = order.map { exp((Double(logits[$0]) - top) / temperature) }
        let total = probabilities.reduce(0, +)
        probabilities = probabilities.map { $0 / total }
        if let topP = options.topP {
            var cumulative = 0.0, keep = 0
            while keep < probabilities.count {
                cumulative += probabilities[keep]
                keep += 1
                if cumulative >= Double(topP) { break }
            }
            order = Array(order.prefix(keep))
            probabilities = Array(probabilities.prefix(keep))
        }
        let u = Double(rng.nextUniform()) * probabilities.reduce(0, +)
        var cumulative = 0.0
        for (id, probability) in zip(order, probabilities) {
            cumulative += probability
            if u < cumulative { return Int32(id) }
        }
        return Int32(order[order.count - 1])
    }
}

/// Index of the largest value (the first on ties; NaN never wins unless all are NaN).
func argmax(_ values: [Float]) -> Int {
    var best = 0
    for i in values.indices where values[i] > values[best] || values[best].isNaN { best = i }
    return best
}
