#if canImport(Glibc)
import Glibc
#else
import Darwin
#endif

/// A per-thread slot holding an object reference that is not retained: whoever sets it keeps
/// the object alive while it is set (e.g. for the duration of a call), and clears it after.
struct ThreadLocalReference<Object: AnyObject>: @unchecked Sendable {
    private let key: pthread_key_t

    init() {
        var key = pthread_key_t()
        pthread_key_create(&key, nil)
        self.key = key
    }

    /// The calling thread's object, nil when none is set.
    var value: Object? {
        get { pthread_getspecific(key).map { Unmanaged<Object>.fromOpaque($0).takeUnretainedValue() } }
        nonmutating set {
            pthread_setspecific(key, newValue.map { UnsafeRawPointer(Unmanaged.passUnretained($0).toOpaque()) })
        }
    }
}
