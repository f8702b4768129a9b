/// Attention heads: splitting a projection (B,T,P·C) into per-head tensors (B,NH,T,HS) and
/// merging them back, one copy each way (see HeadLayout.swift).
extension Tensor {
    /// Part `part` of a projection (B,T,P·C) laid out (B,T,P,NH,HS), as heads (B,NH,T,HS) with
    /// HS = C / NH: e.g. q, k and v of nanoGPT's c_attn output are parts 0, 1, 2 of P = 3. The
    /// same as `reshaped([B,T,P,NH,HS]).permuted([2,0,3,1,4]).selected(0, index: part)`.
    ///
    /// Backward: the gradient is added into that part of the input's gradient.
    public func splitHeads(_ heads: Int, parts: Int, part: Int) throws -> Tensor {
        guard rank == 3, heads > 0, parts > 0, (0..<parts).contains(part), shape[2] % (parts * heads) == 0 else {
            throw AttentionError.shape(
                "splitHeads: input \(shape) is not (B,T,P·NH·HS) for P = \(parts), NH = \(heads), part \(part)")
        }
        let input = self
        let (batch, time) = (shape[0], shape[1])
        let headSize = shape[2] / (parts * heads)
        let out = Tensor.build([batch, heads, time, headSize], count: count / parts) {
            splitHeadsForward(out: $0, inp: input.storage.pointer, batch: batch, time: time, parts: parts, part: part,
                              heads: heads, headSize: headSize)
        }
        return Tensor.record(out, op: "split heads", inputs: [input]) { dout in
            input.node?.accumulate {
                splitHeadsBackward(dinp: $0, dout: dout, batch: batch, time: time, parts: parts, part: part,
                                   heads: heads, headSize: headSize)
            }
        }
    }

    /// Heads (B,NH,T,HS) side by side: (B,T,NH·HS). The same as
    /// `permuted([0,2,1,3]).reshaped([B,T,NH·HS])`.
    public func mergedHeads() throws -> Tensor {
        guard rank == 4 else { throw AttentionError.shape("mergedHeads: input \(shape) is not (B,NH,T,HS)") }
        let input = self
        let (batch, heads, time, headSize) = (shape[0], shape[1], shape[2], shape[3])
        let out = Tensor.build([batch, time, heads * headSize], count: count) {
            mergeHeadsForward(out: $0, inp: input.storage.pointer, batch: batch, time: time, heads: heads,
                              headSize: headSize)
        }
        return Tensor.record(out, op: "merge heads", inputs: [input]) { dout in
            input.node?.receive {
                splitHeadsForward(out: $0, inp: dout, batch: batch, time: time, parts: 1, part: 0, heads: heads,
                                  headSize: headSize)
            }
        }
    }
}
