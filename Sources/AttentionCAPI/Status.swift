import AttentionEngine
import CAttention
import CAttentionShims

// How every export reports its outcome: a status code, plus the thread-local message.

/// Records `error` as the calling thread's last error and returns its status code.
func fail(_ error: AttentionError) -> attn_status {
    attn_shim_set_last_error(escapingControlCharacters(error.message))
    return status(of: error.kind)
}

/// Clears the last error and returns ATTN_OK.
func succeed() -> attn_status {
    attn_shim_set_last_error(nil)
    return ATTN_OK
}

/// Runs `body`, mapping a thrown `AttentionError` (or any other error) to a status.
func guarded(_ body: () throws -> Void) -> attn_status {
    do {
        try body()
        return succeed()
    } catch let error as AttentionError {
        return fail(error)
    } catch {
        return fail(AttentionError(.internal, "unexpected error: \(error)"))
    }
}

func status(of kind: AttentionError.Kind) -> attn_status {
    switch kind {
    case .nullPointer: return ATTN_ERR_NULL_POINTER
    case .invalidArgument: return ATTN_ERR_INVALID_ARGUMENT
    case .shape: return ATTN_ERR_SHAPE
    case .outOfMemory: return ATTN_ERR_OUT_OF_MEMORY
    case .io: return ATTN_ERR_IO
    case .format: return ATTN_ERR_FORMAT
    case .utf8: return ATTN_ERR_UTF8
    case .internal: return ATTN_ERR_INTERNAL
    }
}

/// Runs `body`, prefixing the message of a thrown `AttentionError` with `function` (engine errors
/// name the engine type; the host wants to know which call failed).
func naming<Result>(_ function: String, _ body: () throws -> Result) throws -> Result {
    do {
        return try body()
    } catch let error as AttentionError where !error.message.hasPrefix(function) {
        throw AttentionError(error.kind, "\(function): \(error.message)")
    }
}

/// `pointer`, which the caller must not pass as NULL: a null-pointer error naming it otherwise.
func nonNull<Pointer>(_ pointer: Pointer?, _ name: String, _ function: String) throws -> Pointer {
    guard let pointer else { throw AttentionError(.nullPointer, "\(function): \(name) is NULL") }
    return pointer
}
