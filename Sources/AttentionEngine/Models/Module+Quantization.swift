/// Inference with BF16 or Q8 weights: every matrix that decoding streams — the weight of each
/// Linear layer and the token table of a model whose output head is tied to it — is held as a
/// `QuantizedMatrix` and its FP32 value is released. Embedding tables that are not tied, position
/// tables, biases and LayerNorms stay FP32. A model in this state only runs forward: the
/// `Trainer` refuses it, and checkpoints store the narrowed matrices (docs/quantization.md).

/// A layer whose weight matrix can be held as BF16 or Q8 for inference: `Linear`, `Embedding`.
public protocol QuantizableWeight: AnyObject {
    /// The FP32 weight (OUT, IN) — released (empty) once `quantizedWeight` is set.
    var weight: Parameter { get }
    /// The narrowed weight, or nil while the layer is FP32.
    var quantizedWeight: QuantizedMatrix? { get }
    /// Takes `matrix` as the weight from now on and releases the FP32 value. Throws when its
    /// shape is not the weight's, or the layer already holds a narrowed weight.
    func adoptQuantizedWeight(_ matrix: QuantizedMatrix) throws
}

extension QuantizableWeight {
    /// Throws unless `matrix` has the weight's shape and no narrowed weight is held yet.
    func checkAdoptable(_ matrix: QuantizedMatrix, layer: String) throws {
        guard quantizedWeight == nil else {
            throw AttentionError.invalid("\(layer): the weight is already \(quantizedWeight!.format.rawValue)")
        }
        guard weight.shape == [matrix.rows, matrix.columns] else {
            throw AttentionError.shape("\(layer): a (\(matrix.rows), \(matrix.columns)) \(matrix.format.rawValue) matrix for a weight of shape \(weight.shape)")
        }
    }
}

/// A model whose output head multiplies by its token table (logits = x · wteᵀ): GPT, Seq2Seq,
/// ConvolutionalLM. Narrowing for inference narrows that table too.
public protocol TiedOutputHead: Module {
    /// The token table the output head reuses.
    var tokenTable: Embedding { get }
}

extension Module {
    /// The matrices narrowing for inference holds as BF16 or Q8, by parameter name (the
    /// checkpoint tensor names, e.g. `transformer.h.0.attn.c_attn.weight`), in declaration order:
    /// every Linear layer's weight and, for a `TiedOutputHead`, the token table.
    public var quantizableWeights: [(name: String, layer: any QuantizableWeight)] {
        let tiedTable = (self as? any TiedOutputHead)?.tokenTable
        var result: [(name: String, layer: any QuantizableWeight)] = []
        func visit(_ module: any Module, path: String) {
            if let linear = module as? Linear {
                result.append((path + "weight", linear))
            } else if let embedding = module as? Embedding, embedding === tiedTable {
                result.append((path + "weight", embedding))
            }
            for (name, child) in module.children { visit(child, path: path + name + ".") }
        }
        visit(self, path: "")
        return result
    }

    /// The storage of the narrowed matrices, or nil while the model is FP32.
    public var weightFormat: WeightFormat? {
        quantizableWeights.lazy.compactMap { $0.layer.quantizedWeight?.format }.first
    }

    /// Narrows every matrix of `quantizableWeights` to `format` and releases their FP32 values;
    /// from then on the model only runs forward. All or nothing: throws, leaving the model as it
    /// was, when it is already narrowed, has no such matrix, or (Q8) an input dimension is not a
    /// multiple of 32 (the error names the tensor).
    public func quantize(to format: WeightFormat) throws {
        if let current = weightFormat {
            throw AttentionError.invalid("quantize: the model already holds \(current.rawValue) weights; narrow the FP32 model")
        }
        let layers = quantizableWeights
        guard !layers.isEmpty else {
            throw AttentionError.invalid("quantize: a \(type(of: self)) has no Linear layer or tied token table to narrow")
        }
        let narrowed = try layers.map { name, layer in
            do {
                return try QuantizedMatrix(quantizing: layer.weight.value, as: format)
            } catch let error as AttentionError {
                throw AttentionError(error.kind, "\(name): \(error.message)")
            }
        }
        for ((_, layer), matrix) in zip(layers, narrowed) { try layer.adoptQuantizedWeight(matrix) }
        // Narrowing is for memory: the released FP32 buffers go back to the system, not to the
        // tensor buffer cache.
        BufferPool.releaseCached()
    }
}
