// libFuzzer target: the checkpoint loader, i.e. the safetensors reader plus the semantic checks of
// the metadata (kind, config values, tokenizer, tensor shapes, tied tensors, training state).
// A checkpoint that loads is written back and must load again (what `attn train --resume` does).
import AttentionEngine

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzCheckpoint(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = UnsafeRawBufferPointer(start: data, count: size)
    guard let checkpoint = try? ModelCheckpoint.load(bytes: bytes) else { return 0 }
    guard let written = try? checkpoint.bytes() else { return 0 }
    do {
        _ = try ModelCheckpoint.load(bytes: written)
    } catch {
        fatalError("a loaded checkpoint does not load after being written back: \(error)")
    }
    return 0
}
