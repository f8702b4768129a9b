// libFuzzer target: the BERT config.json parser (sizes, activation, layer-norm epsilon).
import AttentionEngine

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzBertConfig(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    _ = try? BertConfig(json: Array(UnsafeBufferPointer(start: data, count: size)))
    return 0
}
