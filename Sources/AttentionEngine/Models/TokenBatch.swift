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
