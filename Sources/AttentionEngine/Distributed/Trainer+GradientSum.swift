/// The data-parallel part of a training step: after each rank's backward pass, the gradients of
/// all ranks are summed in rank order (`ProcessGroup.sumInRankOrder`) before clipping and AdamW,
/// so every rank applies the same update to the same weights.
///
/// Each rank's loss is the mean over its own n_r target tokens, so its gradient g_r is too. The
/// gradient of the global batch's mean loss is Σ_r n_r·g_r / Σ_r n_r: each rank sends n_r·g_r,
/// n_r and n_r·loss_r in one buffer, and all divide the sums by Σ n_r. With equal token counts
/// this equals one process training on the whole batch up to the order of the additions.
extension Trainer {
    /// Replaces every parameter's gradient by the global batch's gradient; returns the global
    /// mean loss and the global token count. A parameter that received no gradient on any rank
    /// keeps none (as in one process, AdamW then leaves it alone).
    func sumGradientsAcrossRanks(loss: Float, tokens: Int) throws -> (loss: Float, tokens: Int) {
        let parameters = module.parameters
        let gradientCount = parameters.reduce(0) { $0 + $1.value.count }
        // layout: gradients (gradientCount) | has-gradient flag per parameter | n_r | n_r·loss_r
        let total = gradientCount + parameters.count + 2
        if gradientSumBuffer.count != total { gradientSumBuffer = [Float](repeating: 0, count: total) }
        let weight = Float(tokens)
        return try gradientSumBuffer.withUnsafeMutableBufferPointer { buffer in
            let flat = buffer.baseAddress!
            var offset = 0
            for (index, parameter) in parameters.enumerated() {
                let count = parameter.value.count
                if let grad = parameter.value.node?.grad {
                    vectorAffine(out: flat + offset, x: grad, alpha: weight, beta: 0, count: count)
                    flat[gradientCount + index] = 1
                } else {
                    (flat + offset).update(repeating: 0, count: count)
                    flat[gradientCount + index] = 0
                }
                offset += count
            }
            flat[total - 2] = weight
            flat[total - 1] = weight * loss
            try world.sumInRankOrder(buffer)
            let globalTokens = flat[total - 2]
            let scale = 1 / globalTokens
            offset = 0
            for (index, parameter) in parameters.enumerated() {
                let count = parameter.value.count
                if flat[gradientCount + index] > 0, let node = parameter.value.node {
                    // accumulate allocates a zeroed buffer when this rank received no gradient.
                    node.accumulate { grad in vectorAffine(out: grad, x: flat + offset, alpha: scale, beta: 0, count: count) }
                }
                offset += count
            }
            return (flat[total - 1] * scale, Int(globalTokens))
        }
    }
}

extension ProcessGroup {
    /// The mean loss of a global batch from each rank's mean `loss` over its `tokens` targets:
    /// Σ tokens_r·loss_r / Σ tokens_r, the same bits on every rank (`loss` itself in one process).
    func meanOverRanks(loss: Float, tokens: Int) throws -> Float {
        guard isDistributed else { return loss }
        var sums: [Float] = [Float(tokens) * loss, Float(tokens)]
        try sums.withUnsafeMutableBufferPointer { try sumInRankOrder($0) }
        return sums[0] / sums[1]
    }

    /// True on every rank when `vote` is true on every rank (one small reduction).
    func allAgree(_ vote: Bool) throws -> Bool {
        var dissent: [Float] = [vote ? 0 : 1]
        try dissent.withUnsafeMutableBufferPointer { try sumInRankOrder($0) }
        return dissent[0] == 0
    }
}
