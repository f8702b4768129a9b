// Splitting attention heads out of a projection and merging them back, one copy each (instead
// of a permute followed by a slice, and their backward passes).
//
// Letters: B batch, T time, NH heads, HS head size, C = NH·HS, P parts of a projection laid out
// (B,T,P,NH,HS): 3 for nanoGPT's c_attn (q, k, v), 2 for a key-value projection, 1 for one
// tensor. Work is split over the (b, h) pairs; every element is a copy or a single addition, so
// results are bitwise identical for any thread count.

/// out (B,NH,T,HS) = inp (B,T,P,NH,HS)[:, :, part].
package func splitHeadsForward(out: UnsafeMutablePointer<Float>, inp: UnsafePointer<Float>,
                              batch: Int, time: Int, parts: Int, part: Int, heads: Int, headSize: Int) {
    let channels = heads * headSize
    forEachHead(batch: batch, time: time, heads: heads, headSize: headSize) { b, h in
        let target = out + (b * heads + h) * time * headSize
        for t in 0..<time {
            (target + t * headSize).update(from: inp + ((b * time + t) * parts + part) * channels + h * headSize,
                                           count: headSize)
        }
    }
}

/// dinp (B,T,P,NH,HS)[:, :, part] += dout (B,NH,T,HS); the other parts are not touched.
package func splitHeadsBackward(dinp: UnsafeMutablePointer<Float>, dout: UnsafePointer<Float>,
                               batch: Int, time: Int, parts: Int, part: Int, heads: Int, headSize: Int) {
    let channels = heads * headSize
    forEachHead(batch: batch, time: time, heads: heads, headSize: headSize) { b, h in
        let source = dout + (b * heads + h) * time * headSize
        for t in 0..<time {
            let target = dinp + ((b * time + t) * parts + part) * channels + h * headSize
            var i = 0
            while i < headSize {
                let n = min(16, headSize - i)
                storePartial16(loadPartial16(target + i, count: n, fill: 0)
                               + loadPartial16(source + t * headSize + i, count: n, fill: 0), target + i, count: n)
                i += 16
            }
        }
    }
}

/// out (B,T,NH,HS) = inp (B,NH,T,HS) with the heads side by side. The backward pass is the
/// split: dinp (B,NH,T,HS) = `splitHeadsForward` of dout (B,T,NH,HS) with P = 1.
package func mergeHeadsForward(out: UnsafeMutablePointer<Float>, inp: UnsafePointer<Float>,
                              batch: Int, time: Int, heads: Int, headSize: Int) {
    let channels = heads * headSize
    forEachHead(batch: batch, time: time, heads: heads, headSize: headSize) { b, h in
        let source = inp + (b * heads + h) * time * headSize
        for t in 0..<time {
            (out + (b * time + t) * channels + h * headSize).update(from: source + t * headSize, count: headSize)
        }
    }
}

/// Calls `body(b, h)` for every batch row and head, in parallel over chunks of ~32K floats.
private func forEachHead(batch: Int, time: Int, heads: Int, headSize: Int, _ body: (Int, Int) -> Void) {
    let perHead = max(time * headSize, 1)
    Parallel.forEachChunk(batch * heads, grain: max(1, 32_768 / perHead)) { range in
        for pair in range { body(pair / heads, pair % heads) }
    }
}

/// Reference for `splitHeadsForward`: element by element from the index formulas.
package func splitHeadsForwardNaive(out: UnsafeMutablePointer<Float>, inp: UnsafePointer<Float>,
                                   batch: Int, time: Int, parts: Int, part: Int, heads: Int, headSize: Int) {
    for b in 0..<batch {
        for h in 0..<heads {
            for t in 0..<time {
                for i in 0..<headSize {
                    out[((b * heads + h) * time + t) * headSize + i] =
                        inp[(((b * time + t) * parts + part) * heads + h) * headSize + i]
                }
            }
        }
    }
}

/// Reference for `splitHeadsBackward`.
package func splitHeadsBackwardNaive(dinp: UnsafeMutablePointer<Float>, dout: UnsafePointer<Float>,
                                    batch: Int, time: Int, parts: Int, part: Int, heads: Int, headSize: Int) {
    for b in 0..<batch {
        for h in 0..<heads {
            for t in 0..<time {
                for i in 0..<headSize {
                    dinp[(((b * time + t) * parts + part) * heads + h) * headSize + i] +=
                        dout[((b * heads + h) * time + t) * headSize + i]
                }
            }
        }
    }
}

/// Reference for `mergeHeadsForward`.
package func mergeHeadsForwardNaive(out: UnsafeMutablePointer<Float>, inp: UnsafePointer<Float>,
                                   batch: Int, time: Int, heads: Int, headSize: Int) {
    for b in 0..<batch {
        for t in 0..<time {
            for h in 0..<heads {
                for i in 0..<headSize {
                    out[((b * time + t) * heads + h) * headSize + i] = inp[((b * heads + h) * time + t) * headSize + i]
                }
            }
        }
    }
}
