// libFuzzer target: the JSON Lines dialogue-pair parser (`attn train --pairs x.jsonl`).
import AttentionEngine

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzDialogueJSONL(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    guard let text = try? UTF8Validation.decode(UnsafeBufferPointer(start: data, count: size)) else { return 0 }
    _ = try? DialoguePair.parseJSONL(text)
    return 0
}
