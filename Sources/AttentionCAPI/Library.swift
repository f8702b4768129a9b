import AttentionEngine
import CAttention
import CAttentionShims

// Version, status strings, the thread-local last error and thread control.

/// The library's semantic version, NUL-terminated static storage.
let libraryVersion: StaticString = "0.1.0"

@c @implementation
public func attn_version() -> UnsafePointer<CChar>? {
    UnsafeRawPointer(libraryVersion.utf8Start).assumingMemoryBound(to: CChar.self)
}

@c @implementation
public func attn_abi_version() -> Int32 {
    ATTN_ABI_VERSION
}

@c @implementation
public func attn_status_string(_ status: attn_status) -> UnsafePointer<CChar>? {
    let text: StaticString
    switch status {
    case ATTN_OK: text = "ok"
    case ATTN_ERR_NULL_POINTER: text = "null pointer"
    case ATTN_ERR_INVALID_ARGUMENT: text = "invalid argument"
    case ATTN_ERR_SHAPE: text = "bad shape"
    case ATTN_ERR_OUT_OF_MEMORY: text = "out of memory"
    case ATTN_ERR_IO: text = "i/o error"
    case ATTN_ERR_FORMAT: text = "malformed data"
    case ATTN_ERR_UTF8: text = "invalid UTF-8"
    case ATTN_ERR_INTERNAL: text = "internal error"
    default: text = "unknown status"
    }
    return UnsafeRawPointer(text.utf8Start).assumingMemoryBound(to: CChar.self)
}

@c @implementation
public func attn_last_error() -> UnsafePointer<CChar>? {
    attn_shim_last_error()
}

@c @implementation
public func attn_set_num_threads(_ numThreads: Int32) -> attn_status {
    guard (1...1024).contains(numThreads) else {
        return fail(.invalid("attn_set_num_threads: thread count \(numThreads) is outside 1...1024"))
    }
    Parallel.threadCount = Int(numThreads)
    return succeed()
}

@c @implementation
public func attn_get_num_threads() -> Int32 {
    Int32(Parallel.threadCount)
}
