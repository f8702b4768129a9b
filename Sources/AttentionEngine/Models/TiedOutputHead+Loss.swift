/// The training loss of a model whose output head is its token table.
extension TiedOutputHead {
    /// Mean cross-entropy of the logits x · tableᵀ over the targets that are not `ignoreIndex`:
    /// x (…, C), one target per row. Fused (`linearCrossEntropyLoss`, the logits are never
    /// materialized) on the FP32 table; a table narrowed for inference goes through
    /// `project` and `crossEntropyLoss`.
    func tiedHeadLoss(_ x: Tensor, targets: [Int32], ignoreIndex: Int32 = -100) throws -> Tensor {
        let table = tokenTable
        if table.quantizedWeight != nil {
            return try table.project(x).crossEntropyLoss(targets: targets, ignoreIndex: ignoreIndex)
        }
        return try x.linearCrossEntropyLoss(weight: table.weight.value, targets: targets, ignoreIndex: ignoreIndex)
    }
}
