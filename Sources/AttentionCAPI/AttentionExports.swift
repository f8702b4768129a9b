import AttentionEngine
import CAttention

// attn_attention_forward / attn_attention_backward: fused attention on caller-owned buffers.
// Everything read from the caller is checked before a kernel runs: the descriptor's size, every
// dimension and buffer size (overflow included, via AttentionShape.validate), the scale, and
// every pointer whose buffer is not empty.

@c @implementation
public func attn_attention_forward(_ desc: UnsafePointer<attn_attention_desc>?,
                                   _ q: UnsafePointer<Float>?, _ k: UnsafePointer<Float>?,
                                   _ v: UnsafePointer<Float>?, _ out: UnsafeMutablePointer<Float>?,
                                   _ lse: UnsafeMutablePointer<Float>?,
                                   _ probs: UnsafeMutablePointer<Float>?) -> attn_status {
    guarded {
        let name = "attn_attention_forward"
        let (shape, mask) = try attentionShape(desc, name)
        let queries = shape.queryCount > 0, keys = shape.keyCount > 0
        try attentionForward(
            out: required(out, "out", needed: queries, name),
            lse: lse, probs: probs,
            q: required(q, "q", needed: queries, name),
            k: required(k, "k", needed: keys, name),
            v: required(v, "v", needed: keys, name),
            keyPaddingMask: mask, shape: shape)
    }
}

@c @implementation
public func attn_attention_backward(_ desc: UnsafePointer<attn_attention_desc>?,
                                    _ q: UnsafePointer<Float>?, _ k: UnsafePointer<Float>?,
                                    _ v: UnsafePointer<Float>?, _ out: UnsafePointer<Float>?,
                                    _ dout: UnsafePointer<Float>?, _ lse: UnsafePointer<Float>?,
                                    _ dq: UnsafeMutablePointer<Float>?,
                                    _ dk: UnsafeMutablePointer<Float>?,
                                    _ dv: UnsafeMutablePointer<Float>?) -> attn_status {
    guarded {
        let name = "attn_attention_backward"
        let (shape, mask) = try attentionShape(desc, name)
        let queries = shape.queryCount > 0, keys = shape.keyCount > 0
        try attentionBackward(
            dq: required(dq, "dq", needed: queries, name),
            dk: required(dk, "dk", needed: keys, name),
            dv: required(dv, "dv", needed: keys, name),
            dout: required(dout, "dout", needed: queries, name),
            q: required(q, "q", needed: queries, name),
            k: required(k, "k", needed: keys, name),
            v: required(v, "v", needed: keys, name),
            out: required(out, "out", needed: queries, name),
            lse: required(lse, "lse", needed: queries, name),
            keyPaddingMask: mask, shape: shape)
    }
}

/// The validated shape and key-padding mask of a descriptor.
private func attentionShape(_ desc: UnsafePointer<attn_attention_desc>?,
                            _ function: String) throws -> (AttentionShape, UnsafePointer<UInt8>?) {
    guard let desc else { throw AttentionError(.nullPointer, "\(function): desc is NULL") }
    // Read struct_size alone first: a smaller (older or wrong) struct must not be read whole.
    let structSize = UnsafeRawPointer(desc).load(as: Int.self)
    guard structSize == MemoryLayout<attn_attention_desc>.size else {
        throw AttentionError.invalid(
            "\(function): desc->struct_size is \(structSize), expected sizeof(attn_attention_desc) = \(MemoryLayout<attn_attention_desc>.size)")
    }
    let d = desc.pointee
    let dimensions = [("batch", d.batch), ("heads", d.heads), ("q_len", d.q_len),
                      ("kv_len", d.kv_len), ("head_size", d.head_size)]
    for (field, value) in dimensions where value < 0 || (field == "head_size" && value < 1) {
        throw AttentionError.shape("\(function): desc->\(field) is \(value)")
    }
    guard d.scale.isFinite else {
        throw AttentionError.invalid("\(function): desc->scale \(d.scale) is not finite")
    }
    let shape = AttentionShape(batch: Int(d.batch), heads: Int(d.heads), queryLength: Int(d.q_len),
                               keyLength: Int(d.kv_len), headSize: Int(d.head_size),
                               causal: d.causal != 0, scale: d.scale == 0 ? nil : d.scale)
    do {
        try shape.validate()
    } catch let error as AttentionError {
        throw AttentionError(error.kind, "\(function): \(error.message)")
    }
    return (shape, d.key_padding_mask)
}

/// A caller's pointer, which must not be NULL when its buffer is not empty; an empty buffer's
/// NULL becomes a placeholder the kernels never read or write.
private func required<Pointee>(_ pointer: UnsafePointer<Pointee>?, _ name: String, needed: Bool,
                               _ function: String) throws -> UnsafePointer<Pointee> {
    if let pointer { return pointer }
    if needed { throw AttentionError(.nullPointer, "\(function): \(name) is NULL") }
    return UnsafePointer(emptyBufferPlaceholder.assumingMemoryBound(to: Pointee.self))
}

private func required<Pointee>(_ pointer: UnsafeMutablePointer<Pointee>?, _ name: String,
                               needed: Bool, _ function: String) throws
    -> UnsafeMutablePointer<Pointee> {
    UnsafeMutablePointer(mutating: try required(UnsafePointer(pointer), name, needed: needed,
                                                function))
}

/// Stands in for NULL pointers of empty buffers (never dereferenced).
private let emptyBufferPlaceholder = UnsafeMutableRawPointer.allocate(byteCount: 64, alignment: 64)
