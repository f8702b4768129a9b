/// The validated JSON header of a safetensors file: where each tensor's bytes are and what they
/// hold, plus the `__metadata__` strings.
///
/// Validation guarantees, before any tensor byte is touched: every entry has a supported dtype,
/// a shape of non-negative integers whose element and byte counts do not overflow, and a byte
/// range `data_offsets` of exactly that size; sorted by offset, the ranges tile the data buffer
/// from 0 to its end with no overlap, gap, or trailing bytes. So reading an entry's range can
/// never go out of bounds and allocations are bounded by the file size.
struct SafeTensorsHeader {
    struct Entry {
        let name: String
        /// nil for a tensor the caller asked to skip: its range is checked, its bytes unread.
        let dtype: SafeTensorDType?
        let shape: [Int]
        let elementCount: Int
        /// Byte range in the data buffer (which starts right after the header).
        let begin: Int
        let end: Int
    }

    /// The entries in data order (ascending offsets).
    let entries: [Entry]
    let metadata: [String: String]

    /// Parses and validates `json` for a data buffer of `dataByteCount` bytes. Tensors named in
    /// `skipping` may have any dtype of the format (e.g. the I64 `position_ids` buffer of a
    /// Hugging Face checkpoint); their byte ranges are validated like the others.
    init(json: UnsafeBufferPointer<UInt8>, dataByteCount: Int, skipping: Set<String> = []) throws {
        let document: JSONValue
        do {
            document = try JSONValue.parse(json, maxDepth: 8)
        } catch let error as AttentionError {
            throw AttentionError(.format, "safetensors header: \(error.message)")
        }
        guard case .object(let members) = document else {
            throw Self.error("the header is \(document.kindDescription), not an object")
        }
        var entries: [Entry] = []
        var metadata: [String: String] = [:]
        // The parser has rejected duplicate keys, so names are unique.
        for member in members {
            if member.key == "__metadata__" {
                metadata = try Self.metadata(member.value)
            } else {
                entries.append(try Self.entry(named: member.key, member.value, dataByteCount: dataByteCount,
                                              skipped: skipping.contains(member.key)))
            }
        }
        entries.sort { ($0.begin, $0.end) < ($1.begin, $1.end) }
        try Self.checkTiling(entries, dataByteCount: dataByteCount)
        self.entries = entries
        self.metadata = metadata
    }

    static func error(_ message: String) -> AttentionError {
        AttentionError(.format, "safetensors header: \(message)")
    }

    static func metadata(_ value: JSONValue) throws -> [String: String] {
        guard case .object(let members) = value else {
            throw error("__metadata__ is \(value.kindDescription), not an object of strings")
        }
        var metadata: [String: String] = [:]
        for member in members {
            guard case .string(let text) = member.value else {
                throw error("__metadata__ value of '\(member.key)' is \(member.value.kindDescription), not a string")
            }
            metadata[member.key] = text
        }
        return metadata
    }

    /// Bytes per element of every dtype of the format, for tensors that are skipped.
    static let storageByteSize: [String: Int] = [
        "BOOL": 1, "U8": 1, "I8": 1, "F8_E4M3": 1, "F8_E5M2": 1, "I16": 2, "U16": 2, "F16": 2,
        "BF16": 2, "I32": 4, "U32": 4, "F32": 4, "F64": 8, "I64": 8, "U64": 8,
    ]

    static func entry(named name: String, _ value: JSONValue, dataByteCount: Int,
                      skipped: Bool = false) throws -> Entry {
        guard case .object(let fields) = value else {
            throw error("tensor '\(name)' is \(value.kindDescription), not an object")
        }
        for field in fields where !["dtype", "shape", "data_offsets"].contains(field.key) {
            throw error("tensor '\(name)' has an unknown field '\(field.key)'")
        }
        func field(_ key: String) throws -> JSONValue {
            guard let value = value[key] else { throw error("tensor '\(name)' has no '\(key)'") }
            return value
        }

        guard case .string(let dtypeName) = try field("dtype") else {
            throw error("tensor '\(name)': dtype is not a string")
        }
        let dtype = SafeTensorDType(rawValue: dtypeName)
        let elementByteSize = skipped ? Self.storageByteSize[dtypeName] : dtype?.byteSize
        guard let elementByteSize else {
            let supported = SafeTensorDType.allCases.map(\.rawValue).joined(separator: ", ")
            throw error("tensor '\(name)' has dtype '\(dtypeName)', which is not supported (supported: \(supported))")
        }

        guard case .array(let dims) = try field("shape") else {
            throw error("tensor '\(name)': shape is not an array")
        }
        var shape: [Int] = []
        var elementCount = 1
        for (axis, dim) in dims.enumerated() {
            let size = try integer(dim, "dimension \(axis) of the shape of tensor '\(name)'")
            shape.append(size)
            let (product, overflow) = elementCount.multipliedReportingOverflow(by: size)
            guard !overflow else {
                throw error("tensor '\(name)': the element count of shape \(describeShape(shape)) overflows")
            }
            elementCount = product
        }
        let (byteCount, overflow) = elementCount.multipliedReportingOverflow(by: elementByteSize)
        guard !overflow else {
            throw error("tensor '\(name)': the byte size of \(dtypeName) shape \(describeShape(shape)) overflows")
        }

        guard case .array(let offsets) = try field("data_offsets"), offsets.count == 2 else {
            throw error("tensor '\(name)': data_offsets is not an array of two integers")
        }
        let begin = try integer(offsets[0], "the begin offset of tensor '\(name)'")
        let end = try integer(offsets[1], "the end offset of tensor '\(name)'")
        guard begin <= end else {
            throw error("tensor '\(name)': data_offsets [\(begin), \(end)] end before they begin")
        }
        guard end <= dataByteCount else {
            throw error("tensor '\(name)': data_offsets [\(begin), \(end)] run past the end of the data (\(dataByteCount) bytes)")
        }
        guard end - begin == byteCount else {
            throw error("tensor '\(name)': \(dtypeName) shape \(describeShape(shape)) needs \(byteCount) bytes but data_offsets [\(begin), \(end)] hold \(end - begin)")
        }
        return Entry(name: name, dtype: skipped ? nil : dtype, shape: shape, elementCount: elementCount,
                     begin: begin, end: end)
    }

    /// A JSON integer in 0...Int.max, read exactly from its literal.
    static func integer(_ value: JSONValue, _ what: String) throws -> Int {
        guard case .number(let literal) = value else {
            throw error("\(what) is \(value.kindDescription), not an integer")
        }
        if literal.hasPrefix("-") && literal != "-0" {
            throw error("\(what) is negative (\(literal))")
        }
        var result = 0
        for byte in literal.utf8 where byte != UInt8(ascii: "-") {
            guard byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") else {
                throw error("\(what) is not an integer (\(literal))")
            }
            let (times10, overflow1) = result.multipliedReportingOverflow(by: 10)
            let (sum, overflow2) = times10.addingReportingOverflow(Int(byte - UInt8(ascii: "0")))
            guard !overflow1 && !overflow2 else { throw error("\(what) is too large (\(literal))") }
            result = sum
        }
        return result
    }

    /// Sorted by offset, the ranges must cover 0..<dataByteCount exactly once.
    static func checkTiling(_ entries: [Entry], dataByteCount: Int) throws {
        var expected = 0
        var previous: String?
        for entry in entries {
            if entry.begin < expected {
                throw error("tensor '\(entry.name)' (bytes \(entry.begin)..<\(entry.end)) overlaps tensor '\(previous ?? "")' (ending at \(expected))")
            }
            if entry.begin > expected {
                let after = previous.map { "after tensor '\($0)'" } ?? "at the start of the data"
                throw error("\(entry.begin - expected) unused bytes \(after), before tensor '\(entry.name)' (data_offsets must leave no gaps)")
            }
            expected = entry.end
            previous = entry.name
        }
        if expected != dataByteCount {
            throw error("\(dataByteCount - expected) trailing bytes after the last tensor (data ends at \(expected), the file has \(dataByteCount) data bytes)")
        }
    }
}
