import Foundation

// Fused softmax + negative log-likelihood over logits, and its backward pass.
// Shapes: logits, dlogits (rows, V) with V = vocab; targets, losses (rows).

/// losses[r] = −log softmax(logits[r, :])[targets[r]] = logsumexp(logits[r, :]) − logits[r, target],
/// computed without materializing the probabilities. Rows whose target equals `ignoreIndex`
/// (padding) get loss 0.
///
/// `targets` must lie in 0..<V or equal `ignoreIndex`. -inf logits are allowed (a -inf target
/// logit gives loss +inf); +inf and NaN logits give NaN. Accuracy: the log-sum-exp is summed in
/// Float with a fixed order and its log taken in Double; tested within 2e-6·(1 + |loss|) of
/// the loss computed in Double.
package func crossEntropyForward(losses: UnsafeMutablePointer<Float>, logits: UnsafePointer<Float>,
                                targets: UnsafePointer<Int32>, rows: Int, vocab: Int,
                                ignoreIndex: Int32 = -1) {
    let V = vocab
    if rows <= 0 { return }
    Parallel.forEachChunk(rows, grain: max(1, 32_768 / max(V, 1))) { range in
        for r in range {
            let target = targets[r]
            if target == ignoreIndex || V <= 0 {
                losses[r] = 0
                continue
            }
            let row = logits + r * V
            let (rowMax, sum) = logSumExpParts(row, count: V)
            let logSumExp = Double(rowMax) + Foundation.log(Double(sum))
            losses[r] = rowMax == -.infinity ? .infinity : Float(logSumExp - Double(row[Int(target)]))
        }
    }
}

/// Backward of `crossEntropyForward` for the loss Σ_r scale·losses[r]:
/// dlogits[r, :] = scale · (softmax(logits[r, :]) − onehot(targets[r])), overwritten; rows with
/// the ignored target become 0. `scale` is typically 1 / (number of non-ignored rows).
package func crossEntropyBackward(dlogits: UnsafeMutablePointer<Float>, logits: UnsafePointer<Float>,
                                 targets: UnsafePointer<Int32>, rows: Int, vocab: Int,
                                 scale: Float, ignoreIndex: Int32 = -1) {
    let V = vocab
    if rows <= 0 || V <= 0 { return }
    Parallel.forEachChunk(rows, grain: max(1, 16_384 / V)) { range in
        for r in range {
            let target = targets[r]
            let gradient = dlogits + r * V
            if target == ignoreIndex {
                gradient.update(repeating: 0, count: V)
                continue
            }
            gradient.update(from: logits + r * V, count: V)
            _ = softmaxGradientInPlace(gradient, count: V, target: Int(target), scale: scale)
        }
    }
}

/// `crossEntropyForward` and `crossEntropyBackward` in one pass over each row, in place: the
/// losses, and `logits` overwritten by dlogits = scale · (softmax − onehot(target)) (0 for ignored
/// rows). The log-sum-exp is computed once per row; every value equals what the two separate
/// kernels produce. Used on the row chunks of the fused LM head (`linearCrossEntropyForward`).
package func crossEntropyForwardBackward(losses: UnsafeMutablePointer<Float>,
                                        logitsToGradient rows2d: UnsafeMutablePointer<Float>,
                                        targets: UnsafePointer<Int32>, rows: Int, vocab: Int,
                                        scale: Float, ignoreIndex: Int32 = -1) {
    let V = vocab
    if rows <= 0 || V <= 0 { return }
    Parallel.forEachChunk(rows, grain: max(1, 16_384 / V)) { range in
        for r in range {
            let target = targets[r]
            let row = rows2d + r * V
            if target == ignoreIndex {
                losses[r] = 0
                row.update(repeating: 0, count: V)
                continue
            }
            let targetLogit = row[Int(target)]
            let (rowMax, sum) = softmaxGradientInPlace(row, count: V, target: Int(target), scale: scale)
            // No finite logit: infinite loss (and no probability mass moved).
            losses[r] = rowMax == -.infinity ? .infinity
                : Float(Double(rowMax) + Foundation.log(Double(sum)) - Double(targetLogit))
        }
    }
}

/// One row of logits (`count` > 0), in place → scale · (softmax − onehot(target)), with one
/// exponential per logit (`logSumExpParts` keeps them); a row with no finite logit becomes 0.
/// Returns the row's maximum and Σ exp(x − max), for its log-sum-exp.
@inline(__always)
private func softmaxGradientInPlace(_ row: UnsafeMutablePointer<Float>, count V: Int, target: Int,
                                    scale: Float) -> (max: Float, sum: Float) {
    let (rowMax, sum) = logSumExpParts(row, count: V, storingExponentials: true)
    if rowMax == -.infinity {  // no finite logit: no probability mass to move
        row.update(repeating: 0, count: V)
        return (rowMax, sum)
    }
    // row holds exp(logit − max): scale it into the probabilities times `scale`.
    let factor = SIMD16<Float>(repeating: scale / sum)
    var j = 0
    while j < V {
        let n = V - j
        storePartial16(loadPartial16(row + j, count: n, fill: 0) * factor, row + j, count: n)
        j += 16
    }
    row[target] -= scale
    return (rowMax, sum)
}

/// The row maximum and Σ exp(x − max) of `count` > 0 logits, each reduced in a fixed order.
/// The sum is 0 when every logit is -inf (then the maximum is -inf too). With
/// `storingExponentials`, each x is replaced by exp(x − max) (unless the maximum is -inf), so a
/// softmax needs no second exponential pass.
@inline(__always)
private func logSumExpParts(_ row: UnsafePointer<Float>, count V: Int,
                            storingExponentials: Bool = false) -> (max: Float, sum: Float) {
    var max0 = SIMD16<Float>(repeating: -.infinity), max1 = max0
    var j = 0
    while j + 32 <= V {
        max0 = laneMax(max0, load16(row + j))
        max1 = laneMax(max1, load16(row + j + 16))
        j += 32
    }
    while j < V {
        max0 = laneMax(max0, loadPartial16(row + j, count: V - j, fill: -.infinity))
        j += 16
    }
    let rowMax = maxOfLanes(laneMax(max0, max1))
    if rowMax == -.infinity { return (rowMax, 0) }
    let shift = SIMD16<Float>(repeating: rowMax)
    var sum0 = SIMD16<Float>(), sum1 = SIMD16<Float>()
    j = 0
    let exponentials = UnsafeMutablePointer(mutating: row)
    while j + 32 <= V {
        let e0 = vectorExpNonPositive(load16(row + j) - shift)
        let e1 = vectorExpNonPositive(load16(row + j + 16) - shift)
        if storingExponentials {
            store16(e0, exponentials + j)
            store16(e1, exponentials + j + 16)
        }
        sum0 += e0
        sum1 += e1
        j += 32
    }
    while j < V {
        let e = vectorExpNonPositive(loadPartial16(row + j, count: V - j, fill: -.infinity) - shift)
        if storingExponentials { storePartial16(e, exponentials + j, count: V - j) }
        sum0 += e
        j += 16
    }
    return (rowMax, sumOfLanes(sum0 + sum1))
}

/// Reference for `crossEntropyForward`: log-sum-exp in Double.
package func crossEntropyForwardNaive(losses: UnsafeMutablePointer<Float>, logits: UnsafePointer<Float>,
                                     targets: UnsafePointer<Int32>, rows: Int, vocab: Int,
                                     ignoreIndex: Int32 = -1) {
    for r in 0..<max(rows, 0) {
        if targets[r] == ignoreIndex || vocab <= 0 {
            losses[r] = 0
            continue
        }
        var rowMax = -Double.infinity
        for j in 0..<vocab { rowMax = max(rowMax, Double(logits[r * vocab + j])) }
        var sum = 0.0
        for j in 0..<vocab { sum += Foundation.exp(Double(logits[r * vocab + j]) - rowMax) }
        let loss = rowMax + Foundation.log(sum) - Double(logits[r * vocab + Int(targets[r])])
        losses[r] = rowMax == -.infinity ? .infinity : Float(loss)
    }
}

/// Reference for `crossEntropyBackward`: softmax in Double.
package func crossEntropyBackwardNaive(dlogits: UnsafeMutablePointer<Float>, logits: UnsafePointer<Float>,
                                      targets: UnsafePointer<Int32>, rows: Int, vocab: Int,
                                      scale: Float, ignoreIndex: Int32 = -1) {
    if vocab <= 0 { return }
    for r in 0..<max(rows, 0) {
        let target = Int(targets[r])
        var rowMax = -Double.infinity
        for j in 0..<vocab { rowMax = max(rowMax, Double(logits[r * vocab + j])) }
        var sum = 0.0
        for j in 0..<vocab { sum += Foundation.exp(Double(logits[r * vocab + j]) - rowMax) }
        for j in 0..<vocab {
            var g = 0.0
            if targets[r] != ignoreIndex && rowMax != -.infinity {
                g = Foundation.exp(Double(logits[r * vocab + j]) - rowMax) / sum - (j == target ? 1 : 0)
            }
            dlogits[r * vocab + j] = Float(Double(scale) * g)
        }
    }
}
