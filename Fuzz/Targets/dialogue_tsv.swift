// libFuzzer target: the tab-separated dialogue-pair parser (`attn train --pairs x.tsv`).
import AttentionEngine

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzDialogueTSV(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    guard let text = try? UTF8Validation.decode(UnsafeBufferPointer(start: data, count: size)) else { return 0 }
    _ = try? DialoguePair.parseTSV(text)
    return 0
}
