import AttentionEngine
import CAttention
import Glibc

// attn_encoder_*: a pretrained BERT sentence encoder behind an opaque handle (see the last
// section of include/attention.h).

/// The Swift object behind an attn_encoder_t: the encoder and the vocabulary as C strings
/// (for attn_encoder_token_text). Immutable, so shared freely between threads.
final class EncoderHandle {
    let encoder: SentenceEncoder
    /// NUL-terminated token texts, indexed by id.
    private let tokenTexts: [(pointer: UnsafeMutablePointer<CChar>, length: Int)]

    init(_ encoder: SentenceEncoder) {
        self.encoder = encoder
        tokenTexts = encoder.tokenizer.vocabulary.map { token in
            let bytes = Array(token.utf8CString)
            let pointer = UnsafeMutablePointer<CChar>.allocate(capacity: bytes.count)
            pointer.initialize(from: bytes, count: bytes.count)
            return (pointer, bytes.count - 1)
        }
    }

    deinit { tokenTexts.forEach { $0.pointer.deallocate() } }

    func tokenText(_ id: Int32, _ function: String) throws -> (UnsafePointer<CChar>, Int) {
        guard id >= 0 && Int(id) < tokenTexts.count else {
            throw AttentionError.invalid("\(function): id \(id) is outside the vocabulary 0..<\(tokenTexts.count)")
        }
        return (UnsafePointer(tokenTexts[Int(id)].pointer), tokenTexts[Int(id)].length)
    }
}

func encoderHandle(_ handle: OpaquePointer?, _ function: String) throws -> EncoderHandle {
    try resolveHandle(handle, .encoder, as: EncoderHandle.self, function)
}

@c @implementation
public func attn_encoder_load(_ folder: UnsafePointer<CChar>?, _ out: UnsafeMutablePointer<OpaquePointer?>?) -> attn_status {
    creatingHandle(out, .encoder, "attn_encoder_load") {
        let folder = try nonNull(folder, "folder", "attn_encoder_load")
        return EncoderHandle(try naming("attn_encoder_load") { try SentenceEncoder(folder: String(cString: folder)) })
    }
}

@c @implementation
public func attn_encoder_free(_ encoder: OpaquePointer?) {
    freeHandle(encoder, .encoder)
}

@c @implementation
public func attn_encoder_get_dim(_ encoder: OpaquePointer?, _ dim: UnsafeMutablePointer<Int64>?) -> attn_status {
    encoderSize(encoder, dim, "dim", "attn_encoder_get_dim") { $0.dimension }
}

/// Deprecated alias of attn_encoder_get_dim (ABI 2 only).
@c @implementation
public func attn_encoder_dim(_ encoder: OpaquePointer?, _ dim: UnsafeMutablePointer<Int64>?) -> attn_status {
    encoderSize(encoder, dim, "dim", "attn_encoder_dim") { $0.dimension }
}

@c @implementation
public func attn_encoder_get_max_length(_ encoder: OpaquePointer?, _ maxLength: UnsafeMutablePointer<Int64>?) -> attn_status {
    encoderSize(encoder, maxLength, "max_length", "attn_encoder_get_max_length") { $0.maxLength }
}

/// Deprecated alias of attn_encoder_get_max_length (ABI 2 only).
@c @implementation
public func attn_encoder_max_length(_ encoder: OpaquePointer?, _ maxLength: UnsafeMutablePointer<Int64>?) -> attn_status {
    encoderSize(encoder, maxLength, "max_length", "attn_encoder_max_length") { $0.maxLength }
}

/// Writes one size of the encoder (`size` of its SentenceEncoder) to `out`.
private func encoderSize(_ encoder: OpaquePointer?, _ out: UnsafeMutablePointer<Int64>?, _ name: String, _ function: String,
                         _ size: (SentenceEncoder) -> Int) -> attn_status {
    guarded {
        let handle = try encoderHandle(encoder, function)
        try nonNull(out, name, function).pointee = Int64(size(handle.encoder))
    }
}

@c @implementation
public func attn_encoder_embed(_ encoder: OpaquePointer?, _ texts: UnsafePointer<UnsafePointer<CChar>?>?,
                               _ lengths: UnsafePointer<Int>?, _ count: Int64, _ batchSize: Int64, _ normalize: Int32,
                               _ embeddings: UnsafeMutablePointer<Float>?, _ capacity: Int64) -> attn_status {
    guarded {
        let function = "attn_encoder_embed"
        let handle = try encoderHandle(encoder, function)
        guard count >= 0 && count <= maximumElementCount else {
            throw AttentionError.shape("\(function): count \(count) must be in 0...\(maximumElementCount)")
        }
        guard batchSize >= 0 else { throw AttentionError.invalid("\(function): batch_size \(batchSize) must be >= 0") }
        let dimension = Int64(handle.encoder.dimension)
        guard capacity >= count * dimension else {
            throw AttentionError.shape("\(function): embeddings holds \(capacity) floats, \(count) × \(dimension) = \(count * dimension) needed")
        }
        guard count > 0 else { return }
        let texts = try nonNull(texts, "texts", function)
        let embeddings = try nonNull(embeddings, "embeddings", function)
        try requireMemory(floats: Double(count) * 64, "\(count) texts", function)
        var strings: [String] = []
        strings.reserveCapacity(Int(count))
        for i in 0..<Int(count) {
            let name = "texts[\(i)]"
            let length: Int
            if let lengths {
                length = lengths[i]
            } else {
                guard let text = texts[i] else { throw AttentionError(.nullPointer, "\(function): \(name) is NULL") }
                length = strlen(text)
            }
            strings.append(try utf8Argument(texts[i], length, name, function))
        }
        let result = try naming(function) {
            try handle.encoder.embed(strings, batchSize: batchSize == 0 ? 32 : Int(min(batchSize, Int64(Int32.max))),
                                     normalize: normalize != 0)
        }
        result.withUnsafeBufferPointer { embeddings.update(from: $0.baseAddress!, count: $0.count) }
    }
}

@c @implementation
public func attn_encoder_tokenize(_ encoder: OpaquePointer?, _ text: UnsafePointer<CChar>?, _ length: Int,
                                  _ ids: UnsafeMutablePointer<Int32>?, _ capacity: Int64,
                                  _ count: UnsafeMutablePointer<Int64>?, _ truncated: UnsafeMutablePointer<Int32>?) -> attn_status {
    guarded {
        let function = "attn_encoder_tokenize"
        let handle = try encoderHandle(encoder, function)
        let count = try nonNull(count, "count", function)
        guard capacity >= 0 else { throw AttentionError.shape("\(function): capacity \(capacity) must be >= 0") }
        let string = try utf8Argument(text, length, "text", function)
        let tokens = handle.encoder.tokenize(string)
        try tokens.withUnsafeBufferPointer {
            try fillCallerBuffer($0, into: ids, capacity: Int(capacity), unit: "ids", "ids", function)
        }
        count.pointee = Int64(tokens.count)
        truncated?.pointee = handle.encoder.isTruncated(string) ? 1 : 0
    }
}

@c @implementation
public func attn_encoder_token_text(_ encoder: OpaquePointer?, _ id: Int32, _ text: UnsafeMutablePointer<UnsafePointer<CChar>?>?,
                                    _ length: UnsafeMutablePointer<Int>?) -> attn_status {
    guarded {
        let function = "attn_encoder_token_text"
        let handle = try encoderHandle(encoder, function)
        let text = try nonNull(text, "text", function)
        let (pointer, byteCount) = try handle.tokenText(id, function)
        text.pointee = pointer
        length?.pointee = byteCount
    }
}

@c @implementation
public func attn_encoder_attention(_ encoder: OpaquePointer?, _ text: UnsafePointer<CChar>?, _ length: Int,
                                   _ weights: UnsafeMutablePointer<Float>?, _ capacity: Int64,
                                   _ layers: UnsafeMutablePointer<Int64>?, _ heads: UnsafeMutablePointer<Int64>?,
                                   _ tokens: UnsafeMutablePointer<Int64>?) -> attn_status {
    guarded {
        let function = "attn_encoder_attention"
        let handle = try encoderHandle(encoder, function)
        let layers = try nonNull(layers, "layers", function)
        let heads = try nonNull(heads, "heads", function)
        let tokens = try nonNull(tokens, "tokens", function)
        guard capacity >= 0 else { throw AttentionError.shape("\(function): capacity \(capacity) must be >= 0") }
        let string = try utf8Argument(text, length, "text", function)
        let config = handle.encoder.config
        let T = handle.encoder.tokenize(string).count
        let needed = config.layerCount * config.headCount * T * T
        layers.pointee = Int64(config.layerCount)
        heads.pointee = Int64(config.headCount)
        tokens.pointee = Int64(T)
        if weights == nil && capacity == 0 { return }
        let weights = try nonNull(weights, "weights", function)
        guard capacity >= needed else {
            throw AttentionError.shape("\(function): weights holds \(capacity) floats, \(needed) needed (L \(config.layerCount) × NH \(config.headCount) × T \(T) × T)")
        }
        let maps = try naming(function) { try handle.encoder.attention(string).maps }
        var offset = 0
        for map in maps {
            let values = map.weights.scalars
            values.withUnsafeBufferPointer { (weights + offset).update(from: $0.baseAddress!, count: $0.count) }
            offset += values.count
        }
    }
}
