// libFuzzer target: the JSON parser (safetensors headers, config.json, tokenizer_config.json, JSONL).
import AttentionEngine

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzJSON(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    _ = try? JSONValue.parse(UnsafeBufferPointer(start: data, count: size))
    return 0
}
