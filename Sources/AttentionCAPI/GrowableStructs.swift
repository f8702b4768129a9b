import AttentionEngine
import CAttention

// Config structs of the C ABI begin with `size_t struct_size` so they can grow: a library
// accepts a struct from an older header only if it is at least as large as its own, and one from
// a newer header as long as the fields it does not know are zero (unused).

/// Largest struct_size accepted, so that a garbage size cannot make a check read far past the
/// caller's struct.
let maximumStructSize = 4096

/// Copies the caller's struct after checking its struct_size and that any unknown tail is zero.
func readGrowableStruct<Struct>(_ pointer: UnsafePointer<Struct>?, _ name: String, _ function: String) throws -> Struct {
    let pointer = try nonNull(pointer, name, function)
    let structSize = try checkedStructSize(UnsafeRawPointer(pointer), Struct.self, name, function)
    let knownSize = MemoryLayout<Struct>.size
    let unknownFields = UnsafeRawBufferPointer(start: UnsafeRawPointer(pointer) + knownSize, count: structSize - knownSize)
    guard unknownFields.allSatisfy({ $0 == 0 }) else {
        throw AttentionError.invalid(
            "\(function): \(name) sets fields beyond this library's \(typeName(Struct.self)) (ABI \(ATTN_ABI_VERSION)); update libattention")
    }
    return pointer.pointee
}

/// Writes `value` into the caller's struct of struct_size bytes (which must hold at least this
/// library's struct; a larger tail is zeroed), keeping the caller's struct_size.
func writeGrowableStruct<Struct>(_ value: Struct, to pointer: UnsafeMutablePointer<Struct>?, _ name: String,
                                 _ function: String) throws {
    let pointer = try nonNull(pointer, name, function)
    let structSize = try checkedStructSize(UnsafeRawPointer(pointer), Struct.self, name, function)
    let knownSize = MemoryLayout<Struct>.size
    UnsafeMutableRawPointer(pointer).advanced(by: knownSize).initializeMemory(as: UInt8.self, repeating: 0,
                                                                                 count: structSize - knownSize)
    pointer.pointee = value
    UnsafeMutableRawPointer(pointer).storeBytes(of: structSize, as: Int.self)
}

/// The struct_size field (the first `size_t`), checked against this library's size.
private func checkedStructSize<Struct>(_ pointer: UnsafeRawPointer, _: Struct.Type, _ name: String,
                                       _ function: String) throws -> Int {
    // Read struct_size alone first: a smaller (older or wrong) struct must not be read whole.
    // size_t is unsigned: read it as UInt so that SIZE_MAX is reported as itself, not as -1.
    let structSize = pointer.load(as: UInt.self)
    let knownSize = MemoryLayout<Struct>.size
    guard structSize >= UInt(knownSize), structSize <= UInt(maximumStructSize) else {
        throw AttentionError.invalid(
            "\(function): \(name)->struct_size is \(structSize), expected at least sizeof(\(typeName(Struct.self))) = \(knownSize)")
    }
    return Int(structSize)
}

/// The C name of an imported struct type ("attn_model_config").
private func typeName<Struct>(_: Struct.Type) -> String { String(describing: Struct.self) }
