import Foundation

/// The data-parallel part of a training step: the backward pass, with the gradients of all ranks
/// summed in rank order (`ProcessGroup.sumInRankOrder`) before clipping and AdamW, so every rank
/// applies the same update to the same weights.
///
/// Each rank's loss is the mean over its own n_r target tokens, so its gradient g_r is too. The
/// gradient of the global batch's mean loss is Σ_r n_r·g_r / Σ_r n_r: each rank sends n_r·g_r,
/// n_r and n_r·loss_r in one buffer (`GradientBuckets`), and all divide the sums by Σ n_r. With
/// equal token counts this equals one process training on the whole batch up to the order of
/// the additions.
///
/// With `TrainingConfig.overlapsGradientSum` (the default), the buffer is summed in buckets by a
/// communication thread (`BucketSumThread`) while backward runs: the tape reports each
/// parameter's gradient as soon as it is final, the trainer packs it, and a bucket starts as soon
/// as all its parameters are packed. Without, the whole buffer is summed after backward. Both
/// send the same values and add every element in the same order (rank 0's, then rank 1's, …),
/// so they give the same bits.
extension Trainer {
    /// Runs backward on `loss` (this rank's mean over `tokens` targets, whose value is `value`)
    /// and replaces every parameter's gradient by the global batch's gradient; returns the
    /// global mean loss, the global token count and the step's timing. A parameter that
    /// received no gradient on any rank keeps none (as in one process, AdamW then leaves it
    /// alone).
    func backwardSummingAcrossRanks(_ loss: Tensor, value: Float, tokens: Int) throws
        -> (loss: Float, tokens: Int, timing: GradientSumTiming) {
        if !gradientSumSettingsAgreed {
            try checkGradientSumSettingsAgree()
            gradientSumSettingsAgreed = true
        }
        let parameters = module.parameters
        let layout = GradientBuckets(parameterCounts: parameters.map { $0.value.count },
                                     bucketBytes: config.overlapsGradientSum ? config.gradientBucketBytes : Int.max)
        if gradientSumBuffer.count != layout.bufferCount {
            gradientSumBuffer = [Float](repeating: 0, count: layout.bufferCount)
        }
        let weight = Float(tokens)
        return try gradientSumBuffer.withUnsafeMutableBufferPointer { buffer in
            let flat = buffer.baseAddress!
            // Writes n_r·g of parameter `index` and its has-gradient flag into the buffer.
            func pack(_ index: Int) {
                let count = parameters[index].value.count, offset = layout.offsets[index]
                if let grad = parameters[index].value.node?.grad {
                    vectorAffine(out: flat + offset, x: grad, alpha: weight, beta: 0, count: count)
                    flat[layout.gradientCount + index] = 1
                } else {
                    (flat + offset).update(repeating: 0, count: count)
                    flat[layout.gradientCount + index] = 0
                }
            }
            func packTail() {
                flat[layout.bufferCount - 2] = weight
                flat[layout.bufferCount - 1] = weight * value
            }
            let started = DispatchTime.now().uptimeNanoseconds
            var timing = GradientSumTiming(backwardSeconds: 0, communicationSeconds: 0, waitSeconds: 0,
                                           buckets: config.overlapsGradientSum ? layout.parameterRanges.count : 1)
            if config.overlapsGradientSum {
                let summing = BucketSumThread(world: world, buffer: flat, ranges: layout.bufferRanges)
                var packed = [Bool](repeating: false, count: parameters.count)
                var unpackedInBucket = layout.parameterRanges.map(\.count)
                func finish(_ index: Int) {
                    guard !packed[index] else { return }
                    pack(index)
                    packed[index] = true
                    let bucket = layout.bucketOfParameter[index]
                    unpackedInBucket[bucket] -= 1
                    if unpackedInBucket[bucket] == 0 { summing.markReady(bucket) }
                }
                var parametersOfNode: [ObjectIdentifier: [Int]] = [:]
                for (index, parameter) in parameters.enumerated() {
                    if let node = parameter.value.node { parametersOfNode[ObjectIdentifier(node), default: []].append(index) }
                }
                do {
                    try loss.backward { node in
                        for index in parametersOfNode[ObjectIdentifier(node)] ?? [] { finish(index) }
                    }
                } catch {
                    summing.cancel()
                    throw error
                }
                summing.markBackwardEnded()
                let backwardEnded = DispatchTime.now().uptimeNanoseconds
                // Parameters that backward did not reach on this rank: zeros, flag 0.
                for index in parameters.indices { finish(index) }
                packTail()
                summing.markReady(layout.parameterRanges.count)
                timing.communicationSeconds = try summing.waitUntilSummed()
                timing.backwardSeconds = Double(backwardEnded - started) * 1e-9
                timing.waitSeconds = Double(DispatchTime.now().uptimeNanoseconds - backwardEnded) * 1e-9
            } else {
                try loss.backward()
                let backwardEnded = DispatchTime.now().uptimeNanoseconds
                for index in parameters.indices { pack(index) }
                packTail()
                let sumStarted = DispatchTime.now().uptimeNanoseconds
                try world.sumInRankOrder(buffer)
                let ended = DispatchTime.now().uptimeNanoseconds
                timing.backwardSeconds = Double(backwardEnded - started) * 1e-9
                timing.communicationSeconds = Double(ended - sumStarted) * 1e-9
                timing.waitSeconds = Double(ended - backwardEnded) * 1e-9
            }
            let globalTokens = flat[layout.bufferCount - 2]
            let scale = 1 / globalTokens
            for (index, parameter) in parameters.enumerated() {
                let count = parameter.value.count, offset = layout.offsets[index]
                if flat[layout.gradientCount + index] > 0, let node = parameter.value.node {
                    // accumulate allocates a zeroed buffer when this rank received no gradient.
                    node.accumulate { grad in vectorAffine(out: grad, x: flat + offset, alpha: scale, beta: 0, count: count) }
                }
            }
            return (flat[layout.bufferCount - 1] * scale, Int(globalTokens), timing)
        }
    }
}

/// Where the time of a distributed step's backward pass and gradient sum went (seconds, this
/// rank's wall clock).
public struct GradientSumTiming: Sendable {
    /// The backward pass (with the packing of the gradients when the sum overlaps it).
    public var backwardSeconds: Double
    /// Time spent inside the sums across ranks: sending, receiving, adding, waiting for peers.
    public var communicationSeconds: Double
    /// From the end of backward until the gradients were summed: the communication that did not
    /// hide behind backward (with the tail of flags and counts, and the packing without overlap).
    public var waitSeconds: Double
    /// Gradient buckets summed (1 without overlap).
    public var buckets: Int
}

extension Trainer {
    /// Throws on every rank, with one message, unless every rank sums its gradients with rank 0's
    /// settings (overlap, bucket size): they cut the buffer into the messages each rank sends,
    /// and ranks that cut it differently would send messages of different sizes (MPI would end
    /// the job with a truncation error). Two small collectives, once per trainer.
    func checkGradientSumSettingsAgree() throws {
        let own: [Int64] = config.overlapsGradientSum ? [1, Int64(config.gradientBucketBytes)] : [0, 0]
        var root = own
        try root.withUnsafeMutableBytes { try world.broadcastFromRoot($0) }
        guard try world.allAgree(root == own) else {
            func describe(_ settings: [Int64]) -> String {
                settings[0] == 1 ? "overlapped, buckets of \(settings[1]) bytes" : "after backward"
            }
            let mine = root == own ? "" : "; rank \(world.rank): \(describe(own))"
            throw AttentionError.invalid("distributed training: the ranks sum their gradients with different settings (rank 0: \(describe(root))\(mine)); every rank must use the same overlap and bucket size (attn train --no-overlap / --gradient-bucket-mb, attn_train_config.no_gradient_overlap / gradient_bucket_bytes)")
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
