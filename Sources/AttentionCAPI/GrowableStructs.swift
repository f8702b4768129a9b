import AttentionEngine
import CAttention

// Config structs of the C ABI begin with `size_t struct_size` so they can grow. The library
// accepts
// - its own size;
// - a larger struct from a newer header, as long as the fields it does not know are zero
//   (unused);
// - a smaller struct from an older header: a multiple of the struct's alignment, at least one
//   field past struct_size, that no field of this library's layout straddles. The fields that
//   lie wholly inside it are read, the others keep the library's defaults. Any other size (one
//   that cuts a field in half, say) is an error.
// Fields are only ever appended, each starting at or after the previous sizeof (the header pads
// explicitly where a new 4-byte field would fill trailing padding), so an older struct's size
// always ends on one of this library's field boundaries.

/// Largest struct_size accepted, so that a garbage size cannot make a check read far past the
/// caller's struct.
let maximumStructSize = 4096

/// A config struct of the C ABI that begins with `size_t struct_size`.
protocol GrowableStruct {
    /// The all-zero struct (what C's `= {0}` gives; Swift imports it for every C struct).
    init()
    /// The byte range of every field, in declaration order (struct_size first).
    static var fieldRanges: [Range<Int>] { get }
    /// The library's defaults for the fields a smaller struct lacks; `prefix` holds the fields
    /// the caller's struct has (and zero after them), e.g. the model kind whose defaults apply.
    static func defaults(completing prefix: Self, _ function: String) throws -> Self
}

/// The byte range of the field at `path` in `S`.
func fieldRange<S, T>(_ path: KeyPath<S, T>) -> Range<Int> {
    let offset = MemoryLayout<S>.offset(of: path)!
    return offset..<(offset + MemoryLayout<T>.size)
}

extension attn_attention_desc: GrowableStruct {
    static let fieldRanges = [fieldRange(\attn_attention_desc.struct_size), fieldRange(\attn_attention_desc.batch),
                              fieldRange(\attn_attention_desc.heads), fieldRange(\attn_attention_desc.q_len),
                              fieldRange(\attn_attention_desc.kv_len), fieldRange(\attn_attention_desc.head_size),
                              fieldRange(\attn_attention_desc.causal), fieldRange(\attn_attention_desc.key_padding_mask),
                              fieldRange(\attn_attention_desc.scale)]
    /// Zero: not causal, no mask, the default scale.
    static func defaults(completing prefix: Self, _ function: String) throws -> Self { attn_attention_desc() }
}

extension attn_model_config: GrowableStruct {
    static let fieldRanges = [fieldRange(\attn_model_config.struct_size), fieldRange(\attn_model_config.kind),
                              fieldRange(\attn_model_config.vocab_size), fieldRange(\attn_model_config.n_layer),
                              fieldRange(\attn_model_config.n_decoder_layer), fieldRange(\attn_model_config.n_head),
                              fieldRange(\attn_model_config.n_embd), fieldRange(\attn_model_config.block_size),
                              fieldRange(\attn_model_config.max_source_length),
                              fieldRange(\attn_model_config.max_target_length),
                              fieldRange(\attn_model_config.hidden_size), fieldRange(\attn_model_config.cell),
                              fieldRange(\attn_model_config.kernel_size), fieldRange(\attn_model_config.dropout),
                              fieldRange(\attn_model_config.seed)]
    /// The defaults of the kind the caller's struct names (`attn_model_config_default`).
    static func defaults(completing prefix: Self, _ function: String) throws -> Self {
        try defaultModelConfig(prefix.kind, function)
    }
}

extension attn_train_config: GrowableStruct {
    static let fieldRanges = [fieldRange(\attn_train_config.struct_size), fieldRange(\attn_train_config.steps),
                              fieldRange(\attn_train_config.batch_size), fieldRange(\attn_train_config.learning_rate),
                              fieldRange(\attn_train_config.min_learning_rate),
                              fieldRange(\attn_train_config.warmup_steps), fieldRange(\attn_train_config.weight_decay),
                              fieldRange(\attn_train_config.beta1), fieldRange(\attn_train_config.beta2),
                              fieldRange(\attn_train_config.grad_clip), fieldRange(\attn_train_config.eval_interval),
                              fieldRange(\attn_train_config.eval_batches),
                              fieldRange(\attn_train_config.validation_fraction), fieldRange(\attn_train_config.seed),
                              fieldRange(\attn_train_config.resume), fieldRange(\attn_train_config.gradient_bucket_bytes),
                              fieldRange(\attn_train_config.no_gradient_overlap)]
    static func defaults(completing prefix: Self, _ function: String) throws -> Self { defaultTrainConfig() }
}

extension attn_generate_config: GrowableStruct {
    static let fieldRanges = [fieldRange(\attn_generate_config.struct_size),
                              fieldRange(\attn_generate_config.max_new_tokens),
                              fieldRange(\attn_generate_config.temperature), fieldRange(\attn_generate_config.top_k),
                              fieldRange(\attn_generate_config.top_p), fieldRange(\attn_generate_config.seed),
                              fieldRange(\attn_generate_config.stop_at_eos), fieldRange(\attn_generate_config.no_cache),
                              fieldRange(\attn_generate_config.on_token), fieldRange(\attn_generate_config.user_data)]
    static func defaults(completing prefix: Self, _ function: String) throws -> Self { defaultGenerateConfig() }
}

/// Copies the caller's struct after checking its struct_size: a larger one's unknown tail must
/// be zero, a smaller one's fields are laid over the library's defaults.
func readGrowableStruct<Struct: GrowableStruct>(_ pointer: UnsafePointer<Struct>?, _ name: String,
                                                _ function: String) throws -> Struct {
    let pointer = try nonNull(pointer, name, function)
    let structSize = try checkedStructSize(UnsafeRawPointer(pointer), Struct.self, name, function)
    let knownSize = MemoryLayout<Struct>.size
    guard structSize < knownSize else {
        let unknownFields = UnsafeRawBufferPointer(start: UnsafeRawPointer(pointer) + knownSize, count: structSize - knownSize)
        guard unknownFields.allSatisfy({ $0 == 0 }) else {
            throw AttentionError.invalid(
                "\(function): \(name) sets fields beyond this library's \(typeName(Struct.self)) (ABI \(ATTN_ABI_VERSION)); update libattention")
        }
        return pointer.pointee
    }
    // An older, smaller struct: read only its own fields.
    var prefix = Struct()
    withUnsafeMutableBytes(of: &prefix) {
        copyFields(of: Struct.self, upTo: structSize, from: UnsafeRawBufferPointer(start: pointer, count: structSize), to: $0)
    }
    var value = try Struct.defaults(completing: prefix, function)
    withUnsafeMutableBytes(of: &value) { valueBytes in
        withUnsafeBytes(of: prefix) { copyFields(of: Struct.self, upTo: structSize, from: $0, to: valueBytes) }
    }
    return value
}

/// Writes `value` into the caller's struct of struct_size bytes, keeping the caller's
/// struct_size: a larger struct's tail is zeroed, a smaller one gets only the fields it has.
func writeGrowableStruct<Struct: GrowableStruct>(_ value: Struct, to pointer: UnsafeMutablePointer<Struct>?,
                                                 _ name: String, _ function: String) throws {
    let pointer = try nonNull(pointer, name, function)
    let structSize = try checkedStructSize(UnsafeRawPointer(pointer), Struct.self, name, function)
    let knownSize = MemoryLayout<Struct>.size
    let caller = UnsafeMutableRawBufferPointer(start: UnsafeMutableRawPointer(pointer), count: structSize)
    withUnsafeBytes(of: value) { valueBytes in
        if structSize >= knownSize {
            UnsafeMutableRawBufferPointer(rebasing: caller[knownSize...]).initializeMemory(as: UInt8.self, repeating: 0)
            caller.copyMemory(from: valueBytes)
        } else {
            copyFields(of: Struct.self, upTo: structSize, from: valueBytes, to: caller)
        }
    }
    caller.storeBytes(of: structSize, as: Int.self)
}

/// The struct_size field (the first `size_t`), checked: at most `maximumStructSize`, and either
/// at least this library's size or the size of an older header's struct: a multiple of the
/// struct's alignment that no field straddles and that holds at least one field after
/// struct_size.
private func checkedStructSize<Struct: GrowableStruct>(_ pointer: UnsafeRawPointer, _: Struct.Type, _ name: String,
                                                       _ function: String) throws -> Int {
    // Read struct_size alone first: a smaller (older or wrong) struct must not be read whole.
    // size_t is unsigned: read it as UInt so that SIZE_MAX is reported as itself, not as -1.
    let structSize = pointer.load(as: UInt.self)
    let knownSize = MemoryLayout<Struct>.size
    let sizeField = MemoryLayout<UInt>.size
    guard structSize >= UInt(sizeField), structSize <= UInt(maximumStructSize) else {
        throw AttentionError.invalid(
            "\(function): \(name)->struct_size is \(structSize), expected sizeof(\(typeName(Struct.self))) = \(knownSize)")
    }
    let size = Int(structSize)
    if size < knownSize {
        let alignment = MemoryLayout<Struct>.alignment
        let smallest = (Struct.fieldRanges[1].upperBound + alignment - 1) / alignment * alignment
        let cutsAField = Struct.fieldRanges.contains { $0.lowerBound < size && size < $0.upperBound }
        guard size >= smallest, size % alignment == 0, !cutsAField else {
            throw AttentionError.invalid(
                "\(function): \(name)->struct_size is \(size), expected sizeof(\(typeName(Struct.self))) = \(knownSize) or the size of an older header's struct (a multiple of \(alignment), at least \(smallest), ending between two fields)")
        }
    }
    return size
}

/// Copies the fields of `Struct` that lie wholly within the first `size` bytes from `source` to
/// `destination` (padding and later fields are left alone).
private func copyFields<Struct: GrowableStruct>(of _: Struct.Type, upTo size: Int, from source: UnsafeRawBufferPointer,
                                               to destination: UnsafeMutableRawBufferPointer) {
    for range in Struct.fieldRanges where range.upperBound <= size {
        UnsafeMutableRawBufferPointer(rebasing: destination[range]).copyMemory(from: UnsafeRawBufferPointer(rebasing: source[range]))
    }
}

/// The C name of an imported struct type ("attn_model_config").
private func typeName<Struct>(_: Struct.Type) -> String { String(describing: Struct.self) }
