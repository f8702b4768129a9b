import AttentionEngine
import CAttention

// attn_model_quantize, attn_encoder_quantize and their get_weight_format: models and encoders with
// BF16 or Q8 matrices for inference.

/// The engine's format of an attn_weight_format value, or an error naming `function`.
private func weightFormat(_ raw: UInt32, _ function: String) throws -> WeightFormat {
    switch raw {
    case ATTN_WEIGHTS_BF16.rawValue: return .bf16
    case ATTN_WEIGHTS_Q8.rawValue: return .q8
    default:
        throw AttentionError.invalid("\(function): format \(Int32(bitPattern: raw)) is not ATTN_WEIGHTS_BF16 (1) or ATTN_WEIGHTS_Q8 (2)")
    }
}

@c @implementation
public func attn_model_quantize(_ model: OpaquePointer?, _ format: attn_weight_format,
                                _ out: UnsafeMutablePointer<OpaquePointer?>?) -> attn_status {
    creatingHandle(out, .model, "attn_model_quantize") {
        let function = "attn_model_quantize"
        let source = try modelHandle(model, function)
        let format = try weightFormat(format.rawValue, function)
        if let current = source.model.weightFormat {
            throw AttentionError.invalid("\(function): the model already holds \(current.rawValue) weights; narrow the FP32 model")
        }
        // The copy goes through the checkpoint bytes: the source is only read.
        let copy = try naming(function) {
            try ModelCheckpoint.load(bytes: ModelCheckpoint(model: source.model, tokenizer: source.tokenizer).bytes())
        }
        try naming(function) { try copy.model.quantize(to: format) }
        return ModelHandle(model: copy.model, tokenizer: copy.tokenizer)
    }
}

@c @implementation
public func attn_model_get_weight_format(_ model: OpaquePointer?, _ format: UnsafeMutablePointer<Int32>?) -> attn_status {
    guarded {
        let function = "attn_model_get_weight_format"
        let handle = try modelHandle(model, function)
        try nonNull(format, "format", function).pointee = abiValue(of: handle.model.weightFormat)
    }
}

@c @implementation
public func attn_encoder_quantize(_ encoder: OpaquePointer?, _ format: attn_weight_format,
                                  _ out: UnsafeMutablePointer<OpaquePointer?>?) -> attn_status {
    creatingHandle(out, .encoder, "attn_encoder_quantize") {
        let function = "attn_encoder_quantize"
        let source = try encoderHandle(encoder, function)
        let format = try weightFormat(format.rawValue, function)
        return EncoderHandle(try naming(function) { try source.encoder.quantized(to: format) })
    }
}

@c @implementation
public func attn_encoder_get_weight_format(_ encoder: OpaquePointer?, _ format: UnsafeMutablePointer<Int32>?) -> attn_status {
    guarded {
        let function = "attn_encoder_get_weight_format"
        let handle = try encoderHandle(encoder, function)
        try nonNull(format, "format", function).pointee = abiValue(of: handle.encoder.weightFormat)
    }
}

/// The attn_weight_format value of `format` (nil: FP32).
private func abiValue(of format: WeightFormat?) -> Int32 {
    switch format {
    case nil: return Int32(ATTN_WEIGHTS_F32.rawValue)
    case .bf16: return Int32(ATTN_WEIGHTS_BF16.rawValue)
    case .q8: return Int32(ATTN_WEIGHTS_Q8.rawValue)
    }
}
