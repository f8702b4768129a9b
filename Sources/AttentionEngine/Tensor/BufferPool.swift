/// Recycles the float buffers of tensors and gradients, so that a training loop, which frees and
/// allocates the same sizes every step, does not hand its pages back to the system and fault
/// them in again (glibc trims and unmaps large freed blocks; on a loaded machine the page faults
/// cost 10–20 % of a TransformerBlock step).
///
/// Buffers of at least one page are kept by exact size, up to `MemoryStatistics.cacheLimitBytes`
/// in total; when a returned buffer would exceed the limit, the whole cache is freed first.
/// Smaller buffers go straight to the allocator. Contents of a reused buffer are arbitrary, like
/// fresh `malloc` memory. Thread-safe.
enum BufferPool {
    private struct State {
        var free: [Int: [UnsafeMutableRawPointer]] = [:]  // by byte count
        var cachedBytes = 0
        var limitBytes = 512 << 20
    }

    private static let state = PthreadLocked(State())
    private static let smallestPooled = 4096

    /// Uninitialized memory for `count` floats, 64-byte aligned.
    static func allocate(_ count: Int) -> UnsafeMutablePointer<Float> {
        let bytes = max(count, 1) * MemoryLayout<Float>.stride
        if bytes >= smallestPooled, let reused = state.withLock({ state -> UnsafeMutableRawPointer? in
            guard let buffer = state.free[bytes]?.popLast() else { return nil }
            state.cachedBytes -= bytes
            return buffer
        }) {
            return reused.assumingMemoryBound(to: Float.self)
        }
        return UnsafeMutableRawPointer.allocate(byteCount: bytes, alignment: 64)
            .bindMemory(to: Float.self, capacity: max(count, 1))
    }

    /// Returns a buffer from `allocate(count)`.
    static func release(_ pointer: UnsafeMutablePointer<Float>, count: Int) {
        let bytes = max(count, 1) * MemoryLayout<Float>.stride
        let raw = UnsafeMutableRawPointer(pointer)
        guard bytes >= smallestPooled else { raw.deallocate(); return }
        let evicted = state.withLock { state -> [Int: [UnsafeMutableRawPointer]] in
            guard bytes <= state.limitBytes else { return [bytes: [raw]] }
            var evicted: [Int: [UnsafeMutableRawPointer]] = [:]
            if state.cachedBytes + bytes > state.limitBytes {
                swap(&evicted, &state.free)
                state.cachedBytes = 0
            }
            state.free[bytes, default: []].append(raw)
            state.cachedBytes += bytes
            return evicted
        }
        for buffers in evicted.values { buffers.forEach { $0.deallocate() } }
    }

    /// Bytes held for reuse.
    static var cachedBytes: Int { state.withLock { $0.cachedBytes } }

    /// Largest number of bytes kept for reuse; lowering it frees the cache.
    static var limitBytes: Int {
        get { state.withLock { $0.limitBytes } }
        set {
            state.withLock { $0.limitBytes = max(newValue, 0) }
            releaseCached()
        }
    }

    /// Frees every cached buffer.
    static func releaseCached() {
        let evicted = state.withLock { state -> [Int: [UnsafeMutableRawPointer]] in
            var evicted: [Int: [UnsafeMutableRawPointer]] = [:]
            swap(&evicted, &state.free)
            state.cachedBytes = 0
            return evicted
        }
        for buffers in evicted.values { buffers.forEach { $0.deallocate() } }
    }
}
