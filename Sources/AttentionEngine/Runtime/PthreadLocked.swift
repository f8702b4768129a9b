#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A value guarded by a pthread mutex, for state that threads hand memory through.
///
/// Swift's `Synchronization.Mutex` locks with raw futex calls on Linux, which ThreadSanitizer does
/// not see: a buffer released by one thread and reused by another through such a lock looks like
/// a data race on the buffer's contents (scripts/sanitize.sh). A pthread mutex is intercepted by
/// the sanitizers, so the hand-over is ordered for them as it is for the hardware.
final class PthreadLocked<Value>: @unchecked Sendable {
    private let mutex: UnsafeMutablePointer<pthread_mutex_t>
    private var value: Value

    init(_ value: Value) {
        self.value = value
        mutex = .allocate(capacity: 1)
        mutex.initialize(to: pthread_mutex_t())
        pthread_mutex_init(mutex, nil)
    }

    deinit {
        pthread_mutex_destroy(mutex)
        mutex.deallocate()
    }

    /// Runs `body` with exclusive access to the value.
    func withLock<Result>(_ body: (inout Value) throws -> Result) rethrows -> Result {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        return try body(&value)
    }
}
