// libFuzzer target: the safetensors reader (header JSON, dtypes, shapes, offsets, metadata).
// Every input must either parse or throw; reading each tensor's data must not trap.
import AttentionEngine

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzSafeTensors(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = UnsafeRawBufferPointer(start: data, count: size)
    guard let file = try? SafeTensorsFile.read(bytes: bytes) else { return 0 }
    for tensor in file.tensors {
        _ = try? file.tensor(named: tensor.name, shape: tensor.shape)
    }
    return 0
}
