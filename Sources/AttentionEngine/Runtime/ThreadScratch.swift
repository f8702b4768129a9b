#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Per-thread scratch memory that kernels reuse from call to call (GEMM packing panels, vector
/// copies), so that hot calls never allocate. Each thread owns one buffer per slot; a buffer only
/// grows, its contents are undefined on return, and it is freed when the thread exits.
///
/// A kernel may hold two slots at once on one thread (e.g. packed B on the calling thread while
/// the same thread also packs A as an OpenMP worker), never the same slot twice.
enum ThreadScratch {
    /// The independent buffers of one thread.
    enum Slot: Int, CaseIterable {
        case gemmPackedA, gemmPackedB, gemvVector, gemvAccumulators
    }

    /// Floats of 64-byte-aligned scratch for `slot` on the calling thread, at least `count`.
    static func floats(_ slot: Slot, count: Int) -> UnsafeMutablePointer<Float> {
        let table = slots()
        let entry = table + slot.rawValue
        if entry.pointee.capacity < count {
            free(entry.pointee.pointer)
            var memory: UnsafeMutableRawPointer?
            // Round up so that small requests do not regrow on every slightly larger call.
            let capacity = max(count, 1024).roundedUpToPowerOfTwo
            guard posix_memalign(&memory, 64, capacity * MemoryLayout<Float>.stride) == 0,
                  let memory else {
                fatalError("ThreadScratch: cannot allocate \(capacity) floats")
            }
            entry.pointee = Entry(pointer: memory, capacity: capacity)
        }
        return entry.pointee.pointer!.assumingMemoryBound(to: Float.self)
    }

    private struct Entry {
        var pointer: UnsafeMutableRawPointer?
        var capacity: Int
    }

    private static let key: pthread_key_t = {
        var key = pthread_key_t()
        pthread_key_create(&key) { table in
            guard let table else { return }
            let entries = table.assumingMemoryBound(to: Entry.self)
            for i in 0..<Slot.allCases.count { free(entries[i].pointer) }
            free(table)
        }
        return key
    }()

    private static func slots() -> UnsafeMutablePointer<Entry> {
        if let table = pthread_getspecific(key) {
            return table.assumingMemoryBound(to: Entry.self)
        }
        let count = Slot.allCases.count
        guard let raw = calloc(count, MemoryLayout<Entry>.stride) else {
            fatalError("ThreadScratch: cannot allocate the slot table")
        }
        let table = raw.bindMemory(to: Entry.self, capacity: count)
        pthread_setspecific(key, raw)
        return table
    }
}

extension Int {
    fileprivate var roundedUpToPowerOfTwo: Int {
        self <= 1 ? 1 : 1 << (Int.bitWidth - (self - 1).leadingZeroBitCount)
    }
}
