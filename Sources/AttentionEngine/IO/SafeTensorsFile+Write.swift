/// Writing safetensors files: tensors sorted by name (byte order of their UTF-8), each stored as
/// its `dtype` (F32, F16, BF16 or I8; the data must be exactly representable in it), metadata keys
/// sorted the same way, compact JSON padded with spaces to a multiple of 8 bytes so that the data
/// buffer starts 8-byte aligned. The same tensors and metadata always give the same bytes — the
/// layout the Python `safetensors` package writes (up to the order of the metadata keys, which it
/// takes from a hash map).
extension SafeTensorsFile {
    /// The bytes of a safetensors file holding `tensors` (each stored as its `dtype`) and
    /// `metadata`. Throws `AttentionError` for duplicate or reserved names, negative dimensions,
    /// data whose count does not match the shape, or a value its dtype cannot hold exactly.
    ///
    ///     let bytes = try SafeTensorsFile.write(
    ///         tensors: [SafeTensor(name: "w", shape: [2, 2], data: [1, 2, 3, 4])],
    ///         metadata: ["step": "100"])
    public static func write(tensors: [SafeTensor], metadata: [String: String] = [:]) throws -> [UInt8] {
        let (header, sorted) = try layout(tensors: tensors, metadata: metadata)
        var bytes: [UInt8] = []
        bytes.reserveCapacity(header.count + sorted.reduce(0) { $0 + $1.dtype.byteSize * $1.data.count })
        bytes += header
        for tensor in sorted {
            try withStoredBytes(of: tensor) { bytes += $0 }
        }
        return bytes
    }

    /// Writes `tensors` and `metadata` to `path` atomically (see `AtomicFile`): on any failure
    /// the previous file at `path`, if any, is left intact. Tensor data is written tensor by
    /// tensor, without building the whole file in memory.
    public static func write(tensors: [SafeTensor], metadata: [String: String] = [:], to path: String) throws {
        let (header, sorted) = try layout(tensors: tensors, metadata: metadata)
        try AtomicFile.replace(path) { file in
            try file.write(header)
            for tensor in sorted {
                try withStoredBytes(of: tensor) { try file.write($0) }
            }
        }
    }

    /// Calls `body` with the little-endian bytes of `tensor.data` stored as `tensor.dtype` (the
    /// FP32 array itself for F32). Throws when a value is not exactly representable: an F16/BF16
    /// value that would round (NaN is kept as a NaN), an I8 value that is not an integer in
    /// -128...127.
    static func withStoredBytes<R>(of tensor: SafeTensor, _ body: (UnsafeRawBufferPointer) throws -> R) throws -> R {
        func inexact(_ index: Int) -> AttentionError {
            AttentionError.invalid("safetensors: element \(index) of tensor '\(tensor.name)' (\(tensor.data[index])) is not exactly representable as \(tensor.dtype.rawValue)")
        }
        switch tensor.dtype {
        case .f32:
            return try tensor.data.withUnsafeBytes(body)
        case .bf16:
            let bits = try tensor.data.enumerated().map { index, value -> UInt16 in
                let narrowed = bfloat16Bits(value)
                guard value.isNaN || HalfFloat.float(fromBFloat16: narrowed).bitPattern == value.bitPattern else {
                    throw inexact(index)
                }
                return narrowed.littleEndian
            }
            return try bits.withUnsafeBytes(body)
        case .f16:
            let bits = try tensor.data.enumerated().map { index, value -> UInt16 in
                let narrowed = Float16(value)
                guard value.isNaN || Float(narrowed).bitPattern == value.bitPattern else { throw inexact(index) }
                return narrowed.bitPattern.littleEndian
            }
            return try bits.withUnsafeBytes(body)
        case .i8:
            let integers = try tensor.data.enumerated().map { index, value -> Int8 in
                guard let integer = Int8(exactly: value) else { throw inexact(index) }
                return integer
            }
            return try integers.withUnsafeBytes(body)
        }
    }

    /// Validates the tensors and returns the 8 length bytes plus the padded JSON header, and the
    /// tensors in file order.
    static func layout(tensors: [SafeTensor], metadata: [String: String]) throws -> ([UInt8], [SafeTensor]) {
        let sorted = tensors.sorted { $0.name.utf8.lexicographicallyPrecedes($1.name.utf8) }
        var json: [UInt8] = Array("{".utf8)
        if !metadata.isEmpty {
            json += Array(#""__metadata__":{"#.utf8)
            let entries = metadata.sorted { $0.key.utf8.lexicographicallyPrecedes($1.key.utf8) }
            for (i, entry) in entries.enumerated() {
                if i > 0 { json.append(UInt8(ascii: ",")) }
                appendJSONString(entry.key, to: &json)
                json.append(UInt8(ascii: ":"))
                appendJSONString(entry.value, to: &json)
            }
            json += Array("}".utf8)
        }
        var offset = 0
        // Names compare as Swift strings (canonically equivalent spellings are the same name),
        // exactly as the reader's duplicate-key check does.
        var names = Set<String>()
        for tensor in sorted {
            guard names.insert(tensor.name).inserted else {
                throw AttentionError.invalid("safetensors: duplicate tensor name '\(tensor.name)'")
            }
            guard tensor.name != "__metadata__" else {
                throw AttentionError.invalid("safetensors: '__metadata__' is reserved and cannot name a tensor")
            }
            var count = 1
            for dim in tensor.shape {
                guard dim >= 0 else {
                    throw AttentionError.shape("safetensors: tensor '\(tensor.name)' has a negative dimension in shape \(describeShape(tensor.shape))")
                }
                let (product, overflow) = count.multipliedReportingOverflow(by: dim)
                guard !overflow else {
                    throw AttentionError.shape("safetensors: the element count of tensor '\(tensor.name)' (shape \(describeShape(tensor.shape))) overflows")
                }
                count = product
            }
            guard tensor.data.count == count else {
                throw AttentionError.shape("safetensors: tensor '\(tensor.name)' has \(tensor.data.count) elements, shape \(describeShape(tensor.shape)) needs \(count)")
            }
            if json.count > 1 { json.append(UInt8(ascii: ",")) }
            appendJSONString(tensor.name, to: &json)
            // An array's byte size fits in Int, and so does the sum over arrays that all exist.
            let end = offset + tensor.dtype.byteSize * count
            json += Array(#":{"dtype":"\#(tensor.dtype.rawValue)","shape":\#(describeShape(tensor.shape)),"data_offsets":[\#(offset),\#(end)]}"#.utf8)
            offset = end
        }
        json += Array("}".utf8)
        // Pad with spaces (JSON whitespace) so that the data starts at a multiple of 8.
        json += repeatElement(UInt8(ascii: " "), count: (8 - json.count % 8) % 8)
        var header = withUnsafeBytes(of: UInt64(json.count).littleEndian) { Array($0) }
        header += json
        return (header, sorted)
    }

    /// Appends `text` as a JSON string literal: quotes, backslashes and control characters are
    /// escaped (as serde_json does), everything else is written as UTF-8.
    static func appendJSONString(_ text: String, to json: inout [UInt8]) {
        json.append(UInt8(ascii: "\""))
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "\""): json += [UInt8(ascii: "\\"), UInt8(ascii: "\"")]
            case UInt8(ascii: "\\"): json += [UInt8(ascii: "\\"), UInt8(ascii: "\\")]
            case 0x08: json += Array(#"\b"#.utf8)
            case 0x0C: json += Array(#"\f"#.utf8)
            case 0x0A: json += Array(#"\n"#.utf8)
            case 0x0D: json += Array(#"\r"#.utf8)
            case 0x09: json += Array(#"\t"#.utf8)
            case 0..<0x20:
                let hex = Array("0123456789abcdef".utf8)
                json += Array(#"\u00"#.utf8) + [hex[Int(byte >> 4)], hex[Int(byte & 0xF)]]
            default: json.append(byte)
            }
        }
        json.append(UInt8(ascii: "\""))
    }
}
