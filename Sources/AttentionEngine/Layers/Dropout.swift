/// Dropout: in training, zeroes each element with probability p and scales the survivors by
/// 1/(1 − p); in evaluation (or with p = 0) the identity.
///
/// The mask is counter-based: each call draws one 64-bit key from the layer's seeded `Random`,
/// and the element j of row b (the first dimension is the batch) is kept when the Philox block of
/// (key, global row, j) says so. A row's mask is thus a function of (seed, call, global row) and
/// not of the rows drawn before it: a data-parallel rank that holds rows `shardIndex·B ..<
/// (shardIndex+1)·B` of a global batch draws the masks one process with the whole batch would.
/// The same seed gives the same masks on any thread count.
public final class Dropout: Module {
    public let probability: Float
    public private(set) var isTraining = true
    /// Internal (not private) so that checkpoints can save and restore the mask stream.
    var rng: Random
    /// This process's shard of each global batch (the data-parallel rank; 0 in one process):
    /// row b of an input is row `shardIndex × B + b` of the global batch. Set by `Trainer`.
    public var shardIndex = 0

    /// Throws unless 0 ≤ probability < 1.
    public init(probability: Float, seed: UInt64) throws {
        guard probability >= 0, probability < 1 else {
            throw AttentionError.invalid("Dropout: probability \(probability) must be in [0, 1)")
        }
        self.probability = probability
        rng = Random(seed: seed)
    }

    public func setTraining(_ training: Bool) { isTraining = training }

    /// x (any shape) → same shape.
    public func callAsFunction(_ x: Tensor) throws -> Tensor {
        guard isTraining, probability > 0 else { return x }
        let keep = 1 - probability, scale = 1 / keep
        let key = rng.next()
        let rows = x.shape.first ?? 1, rowLength = rows > 0 ? x.count / rows : 0
        let mask = Tensor.build(x.shape, count: x.count) { mask in  // mask (B, rest)
            for b in 0..<rows {
                let row = UInt64(shardIndex * rows + b)
                for j in stride(from: 0, to: rowLength, by: 4) {
                    let words = Philox.block(counter: SIMD4(UInt32(truncatingIfNeeded: j / 4), UInt32(truncatingIfNeeded: row),
                                                            UInt32(truncatingIfNeeded: row >> 32), 0), key: key)
                    for lane in 0..<min(4, rowLength - j) {
                        // The top 24 bits as a uniform in [0, 1), as Random.nextUniform.
                        let uniform = Float(words[lane] >> 8) * (1.0 / 16_777_216.0)
                        mask[b * rowLength + j + lane] = uniform < keep ? scale : 0
                    }
                }
            }
        }
        return try x * mask
    }
}
