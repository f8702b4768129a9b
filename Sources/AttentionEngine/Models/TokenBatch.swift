/// Inputs and next-token targets, both (B,T) row-major.
public struct TokenBatch: Equatable, Sendable {
    public var inputs: [Int32]
    public var targets: [Int32]
    public var batch: Int
    public var time: Int

    public init(inputs: [Int32], targets: [Int32], batch: Int, time: Int) {
        self.inputs = inputs
        self.targets = targets
        self.batch = batch
        self.time = time
    }
}

extension TokenBatch {
    /// Rows `range` of this batch (a data-parallel rank's shard): inputs and targets (rows,T).
    public func rows(_ range: Range<Int>) -> TokenBatch {
        let elements = range.lowerBound * time..<range.upperBound * time
        return TokenBatch(inputs: Array(inputs[elements]), targets: Array(targets[elements]), batch: range.count, time: time)
    }
}
