/// Dropout: in training, zeroes each element with probability p and scales the survivors by
/// 1/(1 − p); in evaluation (or with p = 0) the identity.
///
/// The mask comes from the layer's own seeded `Random`, drawn serially in row-major order, so
/// the same seed gives the same masks on any thread count.
public final class Dropout: Module {
    public let probability: Float
    public private(set) var isTraining = true
    /// Internal (not private) so that checkpoints can save and restore the mask stream.
    var rng: Random

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
        let mask = Tensor.build(x.shape, count: x.count) { mask in
            for i in 0..<x.count { mask[i] = rng.nextUniform() < keep ? scale : 0 }
        }
        return try x * mask
    }
}
