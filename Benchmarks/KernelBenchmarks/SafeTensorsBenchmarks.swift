import AttentionEngine
import Foundation

// Suite "safetensors": reading and writing checkpoints of `tensors` tensors of `elements` FP32
// values each (GPT-2-small-like tensor sizes). Rates are GB/s of FP32 tensor data produced or
// consumed. Parameters: dtype 0 = F32, 1 = F16, 2 = BF16 (read as FP32); source/target 0 = a
// memory buffer, 1 = a file (the write is atomic: temp file, fsync, rename, directory fsync).

func safeTensorsBenchmarks(quick: Bool) -> [BenchmarkCase] {
    let (count, elements) = quick ? (4, 1 << 16) : (16, 1 << 20)
    let size = "\(count)x\(elements)"
    let floatBytes = Double(count * elements * MemoryLayout<Float>.stride)
    let tensors = (0..<count).map { i in
        SafeTensor(name: "h.\(i).weight", shape: [elements / 256, 256],
                   data: Array(UnsafeBufferPointer(start: benchmarkBuffer(elements, seed: UInt64(i + 1)), count: elements)))
    }
    let directory = FileManager.default.temporaryDirectory.path
    var cases: [BenchmarkCase] = []

    for (dtype, name) in [(0, "F32"), (1, "F16"), (2, "BF16")] {
        let bytes = checkpointBytes(tensors, dtype: dtype)
        cases.append(BenchmarkCase(
            name: "safetensors read bytes \(name) \(size)", kind: "safetensors_read",
            parameters: ["tensors": count, "elements": elements, "dtype": dtype, "source": 0],
            bytes: floatBytes
        ) { _ = try! SafeTensorsFile.read(bytes: bytes) })
    }
    let readPath = directory + "/attn-bench-read-\(size).safetensors"
    _ = FileManager.default.createFile(atPath: readPath, contents: Data(checkpointBytes(tensors, dtype: 0)))
    cases.append(BenchmarkCase(
        name: "safetensors read file F32 \(size)", kind: "safetensors_read",
        parameters: ["tensors": count, "elements": elements, "dtype": 0, "source": 1],
        bytes: floatBytes
    ) { _ = try! SafeTensorsFile.read(path: readPath) })

    cases.append(BenchmarkCase(
        name: "safetensors write bytes \(size)", kind: "safetensors_write",
        parameters: ["tensors": count, "elements": elements, "target": 0],
        bytes: floatBytes
    ) { _ = try! SafeTensorsFile.write(tensors: tensors) })
    let writePath = directory + "/attn-bench-write-\(size).safetensors"
    cases.append(BenchmarkCase(
        name: "safetensors write file (fsync) \(size)", kind: "safetensors_write",
        parameters: ["tensors": count, "elements": elements, "target": 1],
        bytes: floatBytes
    ) { try! SafeTensorsFile.write(tensors: tensors, to: writePath) })
    return cases
}

/// A safetensors file of `tensors` stored as F32 (dtype 0), F16 (1, rounded to nearest) or BF16
/// (2, truncated): our writer only stores F32, so the 16-bit files are laid out here.
private func checkpointBytes(_ tensors: [SafeTensor], dtype: Int) -> [UInt8] {
    if dtype == 0 { return try! SafeTensorsFile.write(tensors: tensors) }
    var header = "{", data: [UInt8] = []
    for tensor in tensors {
        let begin = data.count
        data.reserveCapacity(data.count + 2 * tensor.data.count)
        for value in tensor.data {
            let bits = dtype == 1 ? Float16(value).bitPattern : UInt16(value.bitPattern >> 16)
            data.append(UInt8(truncatingIfNeeded: bits))
            data.append(UInt8(bits >> 8))
        }
        header += (header.count > 1 ? "," : "")
            + #""\#(tensor.name)":{"dtype":"\#(dtype == 1 ? "F16" : "BF16")","shape":[\#(tensor.shape.map(String.init).joined(separator: ","))],"data_offsets":[\#(begin),\#(data.count)]}"#
    }
    header += "}"
    return withUnsafeBytes(of: UInt64(header.utf8.count).littleEndian) { Array($0) } + Array(header.utf8) + data
}
