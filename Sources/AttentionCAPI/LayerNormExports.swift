import AttentionEngine
import CAttention

// attn_layernorm: layer normalization on caller-owned buffers (see include/attention.h).

@c @implementation
public func attn_layernorm(_ out: UnsafeMutablePointer<Float>?, _ mean: UnsafeMutablePointer<Float>?,
                           _ rstd: UnsafeMutablePointer<Float>?, _ inp: UnsafePointer<Float>?,
                           _ weight: UnsafePointer<Float>?, _ bias: UnsafePointer<Float>?,
                           _ rows: Int64, _ channels: Int64, _ eps: Float) -> attn_status {
    guarded {
        let function = "attn_layernorm"
        let count = try checkedElementCount(function, "rows", rows, "channels", channels)
        if rows > 0 && channels == 0 {
            throw AttentionError.shape("\(function): channels must be >= 1 to normalize \(rows) rows")
        }
        guard eps > 0 && eps.isFinite else {
            throw AttentionError.invalid("\(function): eps (\(eps)) must be a finite value > 0")
        }
        try requireBuffer(function, "out", UnsafePointer(out), count: count)
        try requireBuffer(function, "inp", inp, count: count)
        try requireSameOrDisjoint(function, "out", UnsafeRawPointer(out), "inp", UnsafeRawPointer(inp),
                                  count: count)
        guard count > 0, let out, let inp else { return }
        layernormForward(out: out, mean: mean, rstd: rstd, inp: inp, weight: weight, bias: bias,
                         rows: Int(rows), channels: Int(channels), eps: eps)
    }
}
