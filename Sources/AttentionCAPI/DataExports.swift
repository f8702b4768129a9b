import AttentionEngine
import CAttention

// attn_default_corpus / attn_default_dialogue: the data compiled into the library, as static
// NUL-terminated UTF-8.

/// A NUL-terminated copy of `text` that lives as long as the process.
private func permanentCString(_ text: String) -> (pointer: UnsafePointer<CChar>, length: Int) {
    let bytes = Array(text.utf8)
    let storage = UnsafeMutablePointer<CChar>.allocate(capacity: bytes.count + 1)
    bytes.withUnsafeBufferPointer { source in
        UnsafeMutableRawPointer(storage).copyMemory(from: source.baseAddress!, byteCount: source.count)
    }
    storage[bytes.count] = 0
    return (UnsafePointer(storage), bytes.count)
}

// Swift initializes globals once, thread-safely, on first use.
private let defaultCorpus = permanentCString(DefaultData.corpus)
private let defaultDialogue = permanentCString(DefaultData.dialogueTSV)

/// Stores a static string and its length in the caller's out-parameters.
private func exportStatic(_ value: (pointer: UnsafePointer<CChar>, length: Int),
                          _ text: UnsafeMutablePointer<UnsafePointer<CChar>?>?, _ length: UnsafeMutablePointer<Int>?,
                          _ function: String) -> attn_status {
    guarded {
        let text = try nonNull(text, "text", function)
        text.pointee = value.pointer
        length?.pointee = value.length
    }
}

@c @implementation
public func attn_default_corpus(_ text: UnsafeMutablePointer<UnsafePointer<CChar>?>?,
                                _ length: UnsafeMutablePointer<Int>?) -> attn_status {
    exportStatic(defaultCorpus, text, length, "attn_default_corpus")
}

@c @implementation
public func attn_default_dialogue(_ tsv: UnsafeMutablePointer<UnsafePointer<CChar>?>?,
                                  _ length: UnsafeMutablePointer<Int>?) -> attn_status {
    exportStatic(defaultDialogue, tsv, length, "attn_default_dialogue")
}
