// Token embedding lookup and its backward scatter.
// Shapes: tokens (N) with N = count; table, dtable (V, C) with V = vocab, C = channels;
// out, dout (N, C).

/// out[i, :] = table[tokens[i], :] for i in 0..<count.
///
/// `tokens` must already be validated to lie in 0..<V (the layer above checks them; this kernel
/// does not). Rows are copied in parallel.
package func embeddingForward(out: UnsafeMutablePointer<Float>, tokens: UnsafePointer<Int32>,
                             table: UnsafePointer<Float>, count: Int, channels: Int) {
    let C = channels
    if count <= 0 || C <= 0 { return }
    Parallel.forEachChunk(count, grain: max(1, 32_768 / C)) { range in
        for i in range {
            (out + i * C).update(from: table + Int(tokens[i]) * C, count: C)
        }
    }
}

/// dtable[tokens[i], :] += dout[i, :] for i in 0..<count (a scatter-add; repeated tokens sum).
///
/// Deterministic for any thread count: threads split the channels, not the tokens, so every
/// dtable entry receives its contributions in token order i = 0, 1, … . `tokens` must lie in
/// 0..<vocab.
package func embeddingBackward(dtable: UnsafeMutablePointer<Float>, dout: UnsafePointer<Float>,
                              tokens: UnsafePointer<Int32>, count: Int, channels: Int, vocab: Int) {
    let C = channels
    if count <= 0 || C <= 0 || vocab <= 0 { return }
    let blocks = (C + 15) / 16
    Parallel.forEachChunk(blocks, grain: max(1, 65_536 / (count * 16))) { range in
        let begin = range.lowerBound * 16, width = min(range.upperBound * 16, C) - begin
        for i in 0..<count {
            let source = dout + i * C + begin
            let target = dtable + Int(tokens[i]) * C + begin
            var c = 0
            while c < width {
                let n = width - c
                storePartial16(loadPartial16(target + c, count: n, fill: 0)
                               + loadPartial16(source + c, count: n, fill: 0), target + c, count: n)
                c += 16
            }
        }
    }
}

/// Reference for `embeddingForward`.
package func embeddingForwardNaive(out: UnsafeMutablePointer<Float>, tokens: UnsafePointer<Int32>,
                                  table: UnsafePointer<Float>, count: Int, channels: Int) {
    for i in 0..<max(count, 0) {
        for c in 0..<max(channels, 0) { out[i * channels + c] = table[Int(tokens[i]) * channels + c] }
    }
}

/// Reference for `embeddingBackward`: accumulates in Double per table entry, then adds once.
package func embeddingBackwardNaive(dtable: UnsafeMutablePointer<Float>, dout: UnsafePointer<Float>,
                                   tokens: UnsafePointer<Int32>, count: Int, channels: Int, vocab: Int) {
    if channels <= 0 || vocab <= 0 { return }
    var sums = [Double](repeating: 0, count: vocab * channels)
    for i in 0..<max(count, 0) {
        for c in 0..<channels { sums[Int(tokens[i]) * channels + c] += Double(dout[i * channels + c]) }
    }
    for j in 0..<vocab * channels { dtable[j] += Float(sums[j]) }
}
