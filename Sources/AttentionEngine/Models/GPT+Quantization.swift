/// Inference with BF16 or Q8 weights: every matrix that decoding streams (the blocks' Linear
/// layers and the tied LM head) narrowed once; embeddings, biases and LayerNorms stay FP32.
extension GPT {
    /// Narrows the weights of the Linear layers and the LM head to `format` (QuantizedMatrix).
    /// From then on the model only runs forward.
    public func quantize(to format: WeightFormat) throws {
        for block in transformer.h.modules {
            for layer in linearLayers(of: block) { try layer.quantize(to: format) }
        }
        quantizedHead = try QuantizedMatrix(quantizing: transformer.wte.weight.value, as: format)
    }

    /// The storage of the matrices decoding reads, or nil while the model is FP32.
    public var weightFormat: WeightFormat? { quantizedHead?.format }
}

/// The Linear layers in `module`'s tree, depth first.
func linearLayers(of module: any Module) -> [Linear] {
    var result: [Linear] = []
    if let linear = module as? Linear { result.append(linear) }
    for (_, child) in module.children { result += linearLayers(of: child) }
    return result
}

/// True when some Linear layer of `module` (or a GPT's head) holds quantized weights.
func isQuantized(_ module: any Module) -> Bool {
    if let gpt = module as? GPT, gpt.weightFormat != nil { return true }
    return linearLayers(of: module).contains { $0.quantizedWeight != nil }
}
