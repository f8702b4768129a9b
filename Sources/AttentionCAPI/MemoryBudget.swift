import AttentionEngine
import Glibc

// A guard against sizes that would make the engine allocate more than the machine has: Swift
// traps when an allocation fails, so a model config or batch from a host that asks for too much
// must be refused before anything is allocated.

/// Physical memory of the machine in bytes.
private let physicalMemory: Double = Double(sysconf(Int32(_SC_PHYS_PAGES))) * Double(sysconf(Int32(_SC_PAGESIZE)))

/// Throws `.outOfMemory` when `floats` 4-byte values (an estimate computed in Double, so it
/// cannot overflow) exceed half of the physical memory.
func requireMemory(floats: Double, _ what: String, _ function: String) throws {
    let bytes = floats * 4
    guard bytes.isFinite, bytes <= physicalMemory / 2 else {
        let needed = bytes < 1e18 ? "about \(Int(bytes / 1e6)) MB" : "more than 10^18 bytes"
        throw AttentionError(.outOfMemory,
                             "\(function): \(what) would need \(needed); this machine has \(Int(physicalMemory / 1e6)) MB")
    }
}
