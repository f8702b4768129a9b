#if canImport(Glibc)
import Glibc
#else
import Darwin
#endif

/// Position encodings added to a sequence of embeddings x (B,T,C).

/// The fixed sinusoidal table of "Attention Is All You Need", (T,C):
/// pe[t, 2i] = sin(t / 10000^(2i/C)), pe[t, 2i+1] = cos(t / 10000^(2i/C)). Computed in Double.
public func sinusoidalPositionTable(length: Int, channels: Int) throws -> Tensor {
    let count = try Tensor.elementCount([length, channels], "sinusoidalPositionTable")
    return Tensor.build([length, channels], count: count) { table in
        for t in 0..<length {
            for c in 0..<channels {
                let frequency = pow(10000.0, -Double(c - c % 2) / Double(channels))
                let angle = Double(t) * frequency
                table[t * channels + c] = Float(c % 2 == 0 ? sin(angle) : cos(angle))
            }
        }
    }
}

/// Adds the fixed sinusoidal table: x (B,T,C) → x + pe[:T] (no parameters).
public final class SinusoidalPositionEncoding: Module {
    public let maxLength: Int
    public let channels: Int
    private let table: Tensor  // (maxLength, C)

    public init(maxLength: Int, channels: Int) throws {
        guard maxLength >= 0, channels >= 0 else {
            throw AttentionError.shape("SinusoidalPositionEncoding(maxLength: \(maxLength), channels: \(channels)): negative size")
        }
        self.maxLength = maxLength
        self.channels = channels
        table = try sinusoidalPositionTable(length: maxLength, channels: channels)
    }

    /// x (B,T,C) with T ≤ maxLength → (B,T,C).
    public func callAsFunction(_ x: Tensor) throws -> Tensor {
        guard x.rank == 3, x.shape[2] == channels, x.shape[1] <= maxLength else {
            throw AttentionError.shape(
                "SinusoidalPositionEncoding(maxLength: \(maxLength), channels: \(channels)): input \(x.shape) is not (B,T≤\(maxLength),\(channels))")
        }
        return try x + table.narrowed(0, start: 0, length: x.shape[1])
    }
}

/// Adds a learned table (GPT-2's `wpe`): x (B,T,C) → x + weight[:T]. weight (maxLength, C),
/// initialized N(0, 0.02²).
public final class LearnedPositionEncoding: Module {
    public let weight: Parameter
    public var localParameters: [(name: String, parameter: Parameter)] { [("weight", weight)] }

    public init(maxLength: Int, channels: Int, rng: inout Random) throws {
        guard maxLength >= 0, channels >= 0 else {
            throw AttentionError.shape("LearnedPositionEncoding(maxLength: \(maxLength), channels: \(channels)): negative size")
        }
        weight = Parameter(try Tensor.normal([maxLength, channels], std: 0.02, using: &rng))
    }

    /// x (B,T,C) with T ≤ maxLength → (B,T,C).
    public func callAsFunction(_ x: Tensor) throws -> Tensor {
        let (maxLength, channels) = (weight.shape[0], weight.shape[1])
        guard x.rank == 3, x.shape[2] == channels, x.shape[1] <= maxLength else {
            throw AttentionError.shape(
                "LearnedPositionEncoding(maxLength: \(maxLength), channels: \(channels)): input \(x.shape) is not (B,T≤\(maxLength),\(channels))")
        }
        return try x + weight.value.narrowed(0, start: 0, length: x.shape[1])
    }
}
