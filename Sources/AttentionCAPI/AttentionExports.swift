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
        let queries = shape.queryCount, keys = shape.keyCount
        try requireDisjoint(name, outputs: [
            BufferExtent("out", out, floats: queries),
            BufferExtent("lse", lse, floats: shape.headCount * shape.queryLength),
            BufferExtent("probs", probs, floats: probs == nil ? 0 : shape.probabilityCount),
        ], inputs: [
            BufferExtent("q", q, floats: queries), BufferExtent("k", k, floats: keys),
            BufferExtent("v", v, floats: keys),
        ])
        attentionForward(
            out: try required(out, "out", needed: queries > 0, name),
            lse: lse, probs: probs,
            q: try required(q, "q", needed: queries > 0, name),
            k: try required(k, "k", needed: keys > 0, name),
            v: try required(v, "v", needed: keys > 0, name),
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
        let queries = shape.queryCount, keys = shape.keyCount
        try requireDisjoint(name, outputs: [
            BufferExtent("dq", dq, floats: queries), BufferExtent("dk", dk, floats: keys),
            BufferExtent("dv", dv, floats: keys),
        ], inputs: [
            BufferExtent("q", q, floats: queries), BufferExtent("k", k, floats: keys),
            BufferExtent("v", v, floats: keys), BufferExtent("out", out, floats: queries),
            BufferExtent("dout", dout, floats: queries),
            BufferExtent("lse", lse, floats: shape.headCount * shape.queryLength),
        ])
        attentionBackward(
            dq: try required(dq, "dq", needed: queries > 0, name),
            dk: try required(dk, "dk", needed: keys > 0, name),
            dv: try required(dv, "dv", needed: keys > 0, name),
            dout: try required(dout, "dout", needed: queries > 0, name),
            q: try required(q, "q", needed: queries > 0, name),
            k: try required(k, "k", needed: keys > 0, name),
            v: try required(v, "v", needed: keys > 0, name),
            out: try required(out, "out", needed: queries > 0, name),
            lse: try required(lse, "lse", needed: queries > 0, name),
            keyPaddingMask: mask, shape: shape)
    }
}

/// The validated shape and key-padding mask of a descriptor.
private func attentionShape(_ desc: UnsafePointer<attn_attention_desc>?,
                            _ function: String) throws -> (AttentionShape, UnsafePointer<UInt8>?) {
    let d = try readGrowableStruct(desc, "desc", function)
    let shape = AttentionShape(batch: Int(d.batch), heads: Int(d.heads), queryLength: Int(d.q_len),
                               keyLength: Int(d.kv_len), headSize: Int(d.head_size),
                               causal: d.causal != 0, scale: d.scale == 0 ? nil : d.scale)
    do {
        try shape.validate()
    } catch let error as AttentionError {
        let detail = error.message.hasPrefix("attention: ") ? String(error.message.dropFirst(11)) : error.message
        throw AttentionError(error.kind, "\(function): \(detail)")
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
