import AttentionEngine
import CAttention

// attn_softmax: the row-wise softmax kernel on caller-owned buffers (see include/attention.h).

@c @implementation
public func attn_softmax(_ out: UnsafeMutablePointer<Float>?, _ inp: UnsafePointer<Float>?,
                         _ rows: Int64, _ cols: Int64, _ causal: Int32) -> attn_status {
    guarded {
        let function = "attn_softmax"
        let count = try checkedElementCount(function, "rows", rows, "cols", cols)
        if causal != 0 && rows != 0 && (cols == 0 || rows % cols != 0) {
            throw AttentionError.shape(
                "\(function): causal softmax needs rows (\(rows)) to be a multiple of cols (\(cols)), "
                    + "the size T of the stacked (T, T) score matrices")
        }
        try requireBuffer(function, "out", UnsafePointer(out), count: count)
        try requireBuffer(function, "inp", inp, count: count)
        try requireSameOrDisjoint(function, "out", UnsafeRawPointer(out), "inp", UnsafeRawPointer(inp),
                                  count: count)
        guard count > 0, let out, let inp else { return }
        softmaxForward(out: out, inp: inp, rows: Int(rows), cols: Int(cols), causal: causal != 0)
    }
}
