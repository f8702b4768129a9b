import AttentionEngine
import CAttention

// attn_tokenizer_*: the character tokenizer behind an opaque handle (see include/attention.h).

/// The Swift object behind an attn_tokenizer_t. Immutable, so shared freely between threads.
final class TokenizerHandle {
    let tokenizer: CharTokenizer
    init(_ tokenizer: CharTokenizer) { self.tokenizer = tokenizer }
}

func tokenizerHandle(_ handle: OpaquePointer?, _ function: String) throws -> CharTokenizer {
    try resolveHandle(handle, .tokenizer, as: TokenizerHandle.self, function).tokenizer
}

@c @implementation
public func attn_tokenizer_init(_ corpus: UnsafePointer<CChar>?, _ length: Int,
                                _ out: UnsafeMutablePointer<OpaquePointer?>?) -> attn_status {
    creatingHandle(out, .tokenizer, "attn_tokenizer_init") {
        let text = try utf8Argument(corpus, length, "corpus", "attn_tokenizer_init")
        return TokenizerHandle(try CharTokenizer(corpus: text))
    }
}

@c @implementation
public func attn_tokenizer_free(_ tokenizer: OpaquePointer?) {
    freeHandle(tokenizer, .tokenizer)
}

@c @implementation
public func attn_tokenizer_get_vocab_size(_ tokenizer: OpaquePointer?, _ vocabularySize: UnsafeMutablePointer<Int64>?) -> attn_status {
    writeVocabularySize(tokenizer, vocabularySize, "attn_tokenizer_get_vocab_size")
}

/// Deprecated alias of attn_tokenizer_get_vocab_size (ABI 2 only).
@c @implementation
public func attn_tokenizer_vocab_size(_ tokenizer: OpaquePointer?, _ vocabularySize: UnsafeMutablePointer<Int64>?) -> attn_status {
    writeVocabularySize(tokenizer, vocabularySize, "attn_tokenizer_vocab_size")
}

private func writeVocabularySize(_ tokenizer: OpaquePointer?, _ vocabularySize: UnsafeMutablePointer<Int64>?,
                                 _ function: String) -> attn_status {
    guarded {
        let tokenizer = try tokenizerHandle(tokenizer, function)
        let vocabularySize = try nonNull(vocabularySize, "vocab_size", function)
        vocabularySize.pointee = Int64(tokenizer.vocabularySize)
    }
}

@c @implementation
public func attn_tokenizer_encode(_ tokenizer: OpaquePointer?, _ text: UnsafePointer<CChar>?, _ length: Int,
                                  _ ids: UnsafeMutablePointer<Int32>?, _ capacity: Int64,
                                  _ count: UnsafeMutablePointer<Int64>?) -> attn_status {
    guarded {
        let function = "attn_tokenizer_encode"
        let tokenizer = try tokenizerHandle(tokenizer, function)
        let count = try nonNull(count, "count", function)
        guard capacity >= 0 else { throw AttentionError.shape("\(function): capacity \(capacity) must be >= 0") }
        let encoded = tokenizer.encode(try utf8Argument(text, length, "text", function))
        count.pointee = Int64(encoded.count)
        try encoded.withUnsafeBufferPointer {
            try fillCallerBuffer($0, into: ids, capacity: Int(capacity), unit: "ids", "ids", function)
        }
    }
}

@c @implementation
public func attn_tokenizer_decode(_ tokenizer: OpaquePointer?, _ ids: UnsafePointer<Int32>?, _ count: Int64,
                                  _ text: UnsafeMutablePointer<CChar>?, _ capacity: Int,
                                  _ length: UnsafeMutablePointer<Int>?) -> attn_status {
    guarded {
        let function = "attn_tokenizer_decode"
        let tokenizer = try tokenizerHandle(tokenizer, function)
        let length = try nonNull(length, "length", function)
        let tokens = try tokenArgument(ids, count, vocabularySize: tokenizer.vocabularySize, "ids", function)
        let bytes = Array(try tokenizer.decode(tokens).utf8).map { CChar(bitPattern: $0) }
        length.pointee = bytes.count
        try bytes.withUnsafeBufferPointer {
            try fillCallerBuffer($0, terminator: 0, into: text, capacity: capacity, unit: "bytes", "text", function)
        }
    }
}
