/// The contents of a safetensors file: named tensors (held as FP32) and string metadata.
///
/// The format (https://huggingface.co/docs/safetensors): an 8-byte little-endian header length
/// N, N bytes of UTF-8 JSON mapping each tensor name to `{"dtype", "shape", "data_offsets":
/// [begin, end]}` (offsets relative to the data buffer after the header) plus an optional
/// `"__metadata__": {string: string}`, then the raw little-endian tensor data.
///
/// Reading treats the file as hostile: every size is checked (see `SafeTensorsHeader`) before
/// anything is allocated or copied, and every problem is an `AttentionError` — `.format` for
/// malformed content, `.io` for the file system — whose message names the tensor or byte
/// offset. F16, BF16 and I8 tensors are converted exactly to FP32 (`SafeTensor.dtype` says which
/// they were). Writing stores each tensor as its dtype, sorted by name (`SafeTensorsFile+Write.swift`).
///
///     let file = try SafeTensorsFile.read(path: "model.safetensors")
///     let wte = try file.tensor(named: "transformer.wte.weight", shape: [V, C])   // [Float]
///     let step = file.metadata["step"]
public struct SafeTensorsFile: Sendable {
    /// The tensors in the order of their data in the file.
    public let tensors: [SafeTensor]
    /// The `__metadata__` strings (empty when the file has none).
    public let metadata: [String: String]
    private let indexByName: [String: Int]

    /// Headers larger than this are rejected before being read (the limit of the reference
    /// implementation; real headers are at most a few MB).
    public static let maxHeaderByteCount = 100 << 20

    init(tensors: [SafeTensor], metadata: [String: String]) {
        self.tensors = tensors
        self.metadata = metadata
        var index: [String: Int] = [:]
        for (i, tensor) in tensors.enumerated() { index[tensor.name] = i }
        indexByName = index
    }

    /// The tensor called `name`; throws `AttentionError(.format, "missing tensor 'name'")`.
    public func tensor(named name: String) throws -> SafeTensor {
        guard let index = indexByName[name] else {
            throw AttentionError(.format, "missing tensor '\(name)'")
        }
        return tensors[index]
    }

    /// The data of tensor `name`, which must have shape `shape`: what a model loader calls for
    /// each parameter. Throws `AttentionError(.format, "missing tensor 'name'")` or
    /// `AttentionError(.format, "tensor 'name' has shape [a,b], expected [c,d]")` (a file that
    /// contradicts the model it describes is malformed).
    public func tensor(named name: String, shape: [Int]) throws -> [Float] {
        let tensor = try tensor(named: name)
        guard tensor.shape == shape else {
            throw AttentionError(.format, "tensor '\(name)' has shape \(describeShape(tensor.shape)), expected \(describeShape(shape))")
        }
        return tensor.data
    }

    /// Parses a whole safetensors file held in memory.
    public static func read(bytes: [UInt8]) throws -> SafeTensorsFile {
        try bytes.withUnsafeBytes { try read(bytes: $0) }
    }

    /// Parses a whole safetensors file held in memory (e.g. a mapped file).
    public static func read(bytes: UnsafeRawBufferPointer) throws -> SafeTensorsFile {
        let headerLength = try checkedHeaderLength(fileSize: bytes.count) { lengthBytes in
            lengthBytes.copyMemory(from: UnsafeRawBufferPointer(rebasing: bytes[0..<8]))
        }
        let header = try SafeTensorsHeader(
            json: UnsafeRawBufferPointer(rebasing: bytes[8..<8 + headerLength]).assumingMemoryBound(to: UInt8.self),
            dataByteCount: bytes.count - 8 - headerLength)
        let dataStart = 8 + headerLength
        return try decode(header) { entry, destination in
            destination.copyMemory(from: UnsafeRawBufferPointer(
                rebasing: bytes[dataStart + entry.begin..<dataStart + entry.end]))
        }
    }

    /// Reads the safetensors file at `path`. Tensor data is read straight into the result, so
    /// memory use is about the size of the FP32 tensors. Tensors named in `skipping` may have any
    /// dtype of the format; they are validated but left out of the result.
    public static func read(path: String, skipping: Set<String> = []) throws -> SafeTensorsFile {
        let file = try FileDescriptor.openForReading(path)
        defer { _ = try? file.close() }
        do {
            let fileSize = try file.regularFileSize()
            let headerLength = try checkedHeaderLength(fileSize: fileSize) { lengthBytes in
                try file.read(into: lengthBytes, at: 0)
            }
            let json = try [UInt8](unsafeUninitializedCapacity: headerLength) { buffer, count in
                try file.read(into: UnsafeMutableRawBufferPointer(buffer), at: 8)
                count = headerLength
            }
            let header = try json.withUnsafeBufferPointer {
                try SafeTensorsHeader(json: $0, dataByteCount: fileSize - 8 - headerLength, skipping: skipping)
            }
            let dataStart = 8 + headerLength
            return try decode(header) { entry, destination in
                try file.read(into: destination, at: dataStart + entry.begin)
            }
        } catch let error as AttentionError where error.kind == .format {
            // I/O errors name the path already; format errors name the tensor or byte.
            throw AttentionError(.format, "\(path): \(error.message)")
        }
    }

    /// Reads and checks the header length N: the file holds the 8 length bytes and N header
    /// bytes, and N is at most `maxHeaderByteCount`. `load` fills the 8 length bytes.
    static func checkedHeaderLength(fileSize: Int,
                                    load: (UnsafeMutableRawBufferPointer) throws -> Void) throws -> Int {
        guard fileSize >= 8 else {
            throw AttentionError(.format, "safetensors: the file has \(fileSize) bytes, fewer than the 8-byte header length")
        }
        var length: UInt64 = 0
        try withUnsafeMutableBytes(of: &length) { try load($0) }
        length = UInt64(littleEndian: length)
        guard length <= UInt64(maxHeaderByteCount) else {
            throw AttentionError(.format, "safetensors: header length \(length) exceeds the limit of \(maxHeaderByteCount) bytes")
        }
        guard Int(length) <= fileSize - 8 else {
            throw AttentionError(.format, "safetensors: header length \(length) runs past the end of the file (\(fileSize) bytes)")
        }
        return Int(length)
    }

    /// Converts each entry to FP32; `load(entry, destination)` copies the entry's raw bytes
    /// (exactly `destination.count` of them) into `destination`.
    static func decode(_ header: SafeTensorsHeader,
                       load: (SafeTensorsHeader.Entry, UnsafeMutableRawBufferPointer) throws -> Void)
    throws -> SafeTensorsFile {
        let tensors = try header.entries.compactMap { entry -> SafeTensor? in
            guard let dtype = entry.dtype else { return nil }
            let data = try [Float](unsafeUninitializedCapacity: entry.elementCount) { buffer, count in
                guard entry.elementCount > 0 else { return } // an empty buffer has no address
                let raw = UnsafeMutableRawBufferPointer(buffer)
                switch dtype {
                case .f32:
                    try load(entry, raw)
                case .f16, .bf16:
                    // Load the 2-byte elements into the first half of the buffer and widen them
                    // in place.
                    try load(entry, UnsafeMutableRawBufferPointer(rebasing: raw[0..<2 * entry.elementCount]))
                    HalfFloat.widenInPlace(raw.baseAddress!, count: entry.elementCount,
                                           from: dtype == .f16 ? .float16 : .bfloat16)
                case .i8:
                    // The same in place from the last element down: float i (bytes 4i..<4i+4) is
                    // stored after integer i was read and never reaches integers j < i.
                    try load(entry, UnsafeMutableRawBufferPointer(rebasing: raw[0..<entry.elementCount]))
                    for i in stride(from: entry.elementCount - 1, through: 0, by: -1) {
                        let value = Float(raw.load(fromByteOffset: i, as: Int8.self))
                        raw.storeBytes(of: value, toByteOffset: 4 * i, as: Float.self)
                    }
                }
                count = entry.elementCount
            }
            return SafeTensor(name: entry.name, dtype: dtype, shape: entry.shape, data: data)
        }
        return SafeTensorsFile(tensors: tensors, metadata: header.metadata)
    }
}

#if _endian(big)
#error("safetensors data is little-endian; the IO layer copies it without byte swapping")
#endif
