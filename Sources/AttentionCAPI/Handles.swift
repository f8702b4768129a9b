import AttentionEngine
import CAttention
import Synchronization

// Opaque handles of the C ABI (attn_tokenizer_t, attn_model_t, attn_trainer_t, attn_context_t):
// each is a small heap block holding a type tag and a retained Swift object. The tag lets every
// export reject a handle of the wrong type (a cast mistake in the host) or one already freed
// (the tag is cleared on free, which catches a double free as long as the allocator has not
// reused the block) with a status instead of a crash.

/// The tag of each handle type: eight ASCII letters, so a dump of the block names its type.
enum HandleKind: UInt64 {
    case tokenizer = 0x4E4B_4F54_4E54_5441  // "ATTNTOKN" read little-endian
    case model = 0x4C44_4F4D_4E54_5441      // "ATTNMODL"
    case trainer = 0x4E52_5254_4E54_5441    // "ATTNTRRN"
    case context = 0x5458_5443_4E54_5441    // "ATTNCTXT"
    case encoder = 0x434E_4545_4E54_5441    // "ATTNEENC"

    var name: String {
        switch self {
        case .tokenizer: return "tokenizer"
        case .model: return "model"
        case .trainer: return "trainer"
        case .context: return "context"
        case .encoder: return "encoder"
        }
    }
}

/// The memory a handle points to.
private struct HandleBlock {
    var tag: UInt64
    var object: Unmanaged<AnyObject>
}

/// Handles made and not yet freed. When it drops to 0 nothing of the engine is alive, and the
/// buffers the engine caches for reuse go back to the system, so an embedding host that is done
/// with libattention gets its memory back.
private let liveHandles = Atomic<Int>(0)

/// A new handle owning a reference to `object`.
func makeHandle(_ object: AnyObject, kind: HandleKind) -> OpaquePointer {
    liveHandles.add(1, ordering: .relaxed)
    let block = UnsafeMutablePointer<HandleBlock>.allocate(capacity: 1)
    block.initialize(to: HandleBlock(tag: kind.rawValue, object: .passRetained(object)))
    return OpaquePointer(block)
}

/// The object behind `handle`, which must be a live handle of `kind`.
func resolveHandle<Object: AnyObject>(_ handle: OpaquePointer?, _ kind: HandleKind, as type: Object.Type,
                                      _ function: String) throws -> Object {
    guard let handle else { throw AttentionError(.nullPointer, "\(function): the \(kind.name) handle is NULL") }
    let block = UnsafeMutablePointer<HandleBlock>(handle)
    guard block.pointee.tag == kind.rawValue,
          let object = block.pointee.object.takeUnretainedValue() as? Object else {
        throw AttentionError.invalid("\(function): the argument is not a live \(kind.name) handle (wrong type or already freed)")
    }
    return object
}

/// Releases a handle made by `makeHandle`; NULL, or a handle of another kind, is ignored.
func freeHandle(_ handle: OpaquePointer?, _ kind: HandleKind) {
    guard let handle else { return }
    let block = UnsafeMutablePointer<HandleBlock>(handle)
    guard block.pointee.tag == kind.rawValue else { return }
    block.pointee.tag = 0
    block.pointee.object.release()
    block.deinitialize(count: 1)
    block.deallocate()
    if liveHandles.subtract(1, ordering: .acquiringAndReleasing).newValue == 0 {
        MemoryStatistics.releaseCachedMemory()
    }
}

/// Clears a handle out-parameter first (so a failed call leaves NULL), runs `body` and stores
/// the handle it returns.
func creatingHandle(_ out: UnsafeMutablePointer<OpaquePointer?>?, _ kind: HandleKind, _ function: String,
                    _ body: () throws -> AnyObject) -> attn_status {
    out?.pointee = nil
    return guarded {
        let out = try nonNull(out, "out", function)
        let object = try body()
        out.pointee = makeHandle(object, kind: kind)
    }
}
