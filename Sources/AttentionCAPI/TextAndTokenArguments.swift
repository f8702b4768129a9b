import AttentionEngine
import CAttention

// Validation of the text and token arguments of the model-level exports: UTF-8 given as
// (pointer, byte length), token ids given as (pointer, count), and the caller-sized output
// buffers that a NULL/0 call measures first.

/// `length` bytes of UTF-8 at `text` as a String. NULL is allowed only with length 0; a length
/// above Int.max (a negative size_t cast) is a shape error; invalid UTF-8 throws `.utf8` naming
/// the byte offset.
func utf8Argument(_ text: UnsafePointer<CChar>?, _ length: Int, _ name: String, _ function: String) throws -> String {
    guard length >= 0 else { throw AttentionError.shape("\(function): \(name) length \(UInt(bitPattern: length)) is too large") }
    guard length > 0 else { return "" }
    try requireMemory(floats: Double(length) / 2, "\(name) of \(length) bytes", function)
    guard let text else { throw AttentionError(.nullPointer, "\(function): \(name) is NULL but its length is \(length)") }
    let bytes = UnsafeBufferPointer(start: UnsafeRawPointer(text).assumingMemoryBound(to: UInt8.self), count: length)
    do {
        return try UTF8Validation.decode(bytes)
    } catch let error as AttentionError {
        throw AttentionError(error.kind, "\(function): \(name): \(error.message)")
    }
}

/// Largest token or element count accepted from a caller (2^40): far beyond any real use, and
/// small enough that byte sizes computed from it cannot overflow.
let maximumElementCount: Int64 = 1 << 40

/// `count` ids at `tokens`, each checked to lie in 0..<vocabularySize.
func tokenArgument(_ tokens: UnsafePointer<Int32>?, _ count: Int64, vocabularySize: Int, _ name: String,
                   _ function: String) throws -> [Int32] {
    guard count >= 0, count <= maximumElementCount else {
        throw AttentionError.shape("\(function): \(name) count \(count) must be in 0...\(maximumElementCount)")
    }
    guard count > 0 else { return [] }
    try requireMemory(floats: Double(count), "\(name) of \(count) ids", function)
    guard let tokens else { throw AttentionError(.nullPointer, "\(function): \(name) is NULL but must hold \(count) ids") }
    let ids = Array(UnsafeBufferPointer(start: tokens, count: Int(count)))
    if let index = ids.firstIndex(where: { $0 < 0 || Int($0) >= vocabularySize }) {
        throw AttentionError.invalid(
            "\(function): \(name)[\(index)] = \(ids[index]) is outside the vocabulary 0..<\(vocabularySize)")
    }
    return ids
}

/// batch·time as an element count, both checked to be ≥ 0 (`time` ≥ 1 unless batch is 0) and the
/// product to stay within `maximumElementCount`.
func batchElementCount(_ batch: Int64, _ time: Int64, _ function: String,
                       timeName: String = "time") throws -> Int {
    guard batch >= 0, time >= 0 else {
        throw AttentionError.shape("\(function): batch (\(batch)) and \(timeName) (\(time)) must be >= 0")
    }
    let (count, overflow) = batch.multipliedReportingOverflow(by: time)
    guard !overflow, count <= maximumElementCount else {
        throw AttentionError.shape("\(function): batch × \(timeName) = \(batch) × \(time) is too large")
    }
    return Int(count)
}

/// Copies `values` (then `terminator`, if any) into the caller's buffer of `capacity` elements;
/// the caller has already stored the size it needs. A NULL buffer with capacity 0 only measures;
/// a buffer too small is a shape error that leaves it unwritten. `unit` names the elements in
/// messages ("bytes", "ids").
func fillCallerBuffer<Element>(_ values: UnsafeBufferPointer<Element>, terminator: Element? = nil,
                               into buffer: UnsafeMutablePointer<Element>?, capacity: Int, unit: String,
                               _ name: String, _ function: String) throws {
    if buffer == nil && capacity == 0 { return }
    let buffer = try nonNull(buffer, name, function)
    let needed = values.count + (terminator == nil ? 0 : 1)
    // A size_t capacity above Int.max reads as negative here; it is large enough for anything.
    guard capacity < 0 || capacity >= needed else {
        throw AttentionError.shape("\(function): \(name) holds \(UInt(bitPattern: capacity)) \(unit), \(needed) needed")
    }
    if let base = values.baseAddress { buffer.update(from: base, count: values.count) }
    if let terminator { buffer[values.count] = terminator }
}

/// The file path `path` as given. Paths are bytes, but the engine's file layer takes Swift
/// strings, which cannot hold invalid UTF-8 (String(cString:) would substitute U+FFFD and write
/// to a different name); so a path that is not valid UTF-8 is refused with ATTN_ERR_UTF8 naming
/// the offset of its first bad byte, and a valid one is used byte for byte.
func pathArgument(_ path: UnsafePointer<CChar>, _ function: String) throws -> String {
    if let text = String(validatingCString: path) { return text }
    var length = 0
    while path[length] != 0 { length += 1 }
    let bytes = UnsafeRawBufferPointer(start: path, count: length).bindMemory(to: UInt8.self)
    var offset = 0
    var decoder = UTF8()
    var iterator = bytes.makeIterator()
    loop: while true {
        switch decoder.decode(&iterator) {
        case .scalarValue(let scalar): offset += UTF8.width(scalar)
        case .emptyInput, .error: break loop
        }
    }
    throw AttentionError(.utf8, "\(function): the path is not valid UTF-8 at byte \(offset); rename the file or pass a UTF-8 path")
}
