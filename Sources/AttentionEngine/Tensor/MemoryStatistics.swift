import Synchronization

/// Bytes held by tensor storages and autograd gradient buffers: live now and the high-water mark
/// since the last `resetPeak()`. Counts the engine's own buffers only (not kernels' scratch).
public enum MemoryStatistics {
    private static let live = Atomic<Int>(0)
    private static let peak = Atomic<Int>(0)

    /// Bytes currently allocated.
    public static var currentBytes: Int { live.load(ordering: .relaxed) }

    /// Largest `currentBytes` seen since the last reset.
    public static var peakBytes: Int { peak.load(ordering: .relaxed) }

    /// Starts a new high-water mark at the current level.
    public static func resetPeak() { peak.store(currentBytes, ordering: .relaxed) }

    /// Bytes of freed buffers the engine keeps for reuse (not part of `currentBytes`).
    public static var cachedBytes: Int { BufferPool.cachedBytes }

    /// The most the engine keeps for reuse (512 MiB by default); setting it frees the cache.
    public static var cacheLimitBytes: Int {
        get { BufferPool.limitBytes }
        set { BufferPool.limitBytes = newValue }
    }

    /// Gives every cached buffer back to the system.
    public static func releaseCachedMemory() { BufferPool.releaseCached() }

    static func allocated(_ bytes: Int) {
        let now = live.add(bytes, ordering: .relaxed).newValue
        _ = peak.max(now, ordering: .relaxed)
    }

    static func freed(_ bytes: Int) { live.subtract(bytes, ordering: .relaxed) }
}
