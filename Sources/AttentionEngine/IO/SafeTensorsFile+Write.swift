/// Writing safetensors files: F32 tensors sorted by name (byte order of their UTF-8), metadata
/// keys sorted the same way, compact JSON padded with spaces to a multiple of 8 bytes so that
/// the data buffer starts 8-byte aligned. The same tensors and metadata always give the same
/// bytes — the layout the Python `safetensors` package writes for F32 tensors (up to the order
/// of the metadata keys, which it takes from a hash map).
extension SafeTensorsFile {
    /// The bytes of a safetensors file holding `tensors` (stored as F32 whatever their `dtype`)
    /// and `metadata`. Throws `AttentionError` for duplicate or reserved names, negative
    /// dimensions, or data whose count does not match the shape.
    ///
    ///     let bytes = try SafeTensorsFile.write(
    ///         tensors: [SafeTensor(name: "w", shape: [2, 2], data: [1, 2, 3, 4])],
    ///         metadata: ["step": "100"])
    public static func write(tensors: [SafeTensor], metadata: [String: String] = [:]) throws -> [UInt8] {
        let (header, sorted) = try layout(tensors: tensors, metadata: metadata)
        var bytes: [UInt8] = []
        bytes.reserveCapacity(header.count + sorted.reduce(0) { $0 + 4 * $1.data.count })
        bytes += header
        for tensor in sorted {
            tensor.data.withUnsafeBytes { bytes += $0 }
        }
        return bytes
    }

    /// Writes `tensors` and `metadata` to `path` atomically (see `AtomicFile`): on any failure
    /// the previous file at `path`, if any, is left intact. Tensor data is written straight from
    /// the arrays, without building the whole file in memory.
    public static func write(tensors: [SafeTensor], metadata: [String: String] = [:], to path: String) throws {
        let (header, sorted) = try layout(tensors: tensors, metadata: metadata)
        try AtomicFile.replace(path) { file in
            try file.write(header)
            for tensor in sorted {
                try tensor.data.withUnsafeBytes { try file.write($0) }
            }
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
            let end = offset + 4 * count
            json += Array(#":{"dtype":"F32","shape":\#(describeShape(tensor.shape)),"data_offsets":[\#(offset),\#(end)]}"#.utf8)
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
