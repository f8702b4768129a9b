/// The parameters of a BERT encoder, read from a Hugging Face `model.safetensors` (tensor
/// names with or without the `bert.` prefix of `BertForX` models).
///
/// Letters as in `BertConfig`. Linear weights are (out, in), as PyTorch stores them. The tensors
/// are kept as the reader returned them (no copy: peak memory while loading stays at one model),
/// except the six FP32 matrices of each layer, which are held as the GEMM's packed panels
/// (`GemmPackedWeight`, packed once instead of for every batch; the FP32 originals are released
/// as each is packed), and `withEmbeddings` / `withLayer` lend them to the forward pass.
///
/// | tensor | shape |
/// |---|---|
/// | `embeddings.word_embeddings.weight` | (V, C) |
/// | `embeddings.position_embeddings.weight` | (P, C) |
/// | `embeddings.token_type_embeddings.weight` | (TT, C) |
/// | `embeddings.LayerNorm.{weight,bias}` | (C) |
/// | `encoder.layer.{i}.attention.self.{query,key,value}.{weight,bias}` | (C, C), (C) |
/// | `encoder.layer.{i}.attention.output.dense.{weight,bias}` | (C, C), (C) |
/// | `encoder.layer.{i}.attention.output.LayerNorm.{weight,bias}` | (C) |
/// | `encoder.layer.{i}.intermediate.dense.{weight,bias}` | (F, C), (F) |
/// | `encoder.layer.{i}.output.dense.{weight,bias}` | (C, F), (C) |
/// | `encoder.layer.{i}.output.LayerNorm.{weight,bias}` | (C) |
///
/// `embeddings.position_ids` (an integer buffer) and the pooler are ignored. A missing tensor or
/// one whose shape disagrees with the config is an `AttentionError(.format)` naming it.
///
/// Narrowed for inference (`narrowed(to:)`, or a file with `weight_format` metadata as
/// `attn quantize` writes it), the word embeddings and the six matrices of each layer are BF16 or
/// Q8 `QuantizedMatrix`es stored as `QuantizedMatrix+SafeTensors.swift` describes; position and
/// token-type embeddings, biases and LayerNorms stay FP32.
final class BertWeights: Sendable {
    /// The embedding tables, valid inside `withEmbeddings`.
    struct Embeddings {
        let word: Matrix                      // (V, C)
        let position: UnsafePointer<Float>    // (P, C)
        let type: UnsafePointer<Float>        // (TT, C)
        let normWeight, normBias: UnsafePointer<Float>  // (C)
    }

    /// A weight matrix (OUT, IN): FP32 (the word embeddings), FP32 in packed panels (a layer's
    /// matrices), or narrowed to BF16/Q8.
    enum Matrix {
        case fp32(UnsafePointer<Float>)
        case packed(GemmPackedWeight)
        case narrowed(QuantizedMatrix)

        /// out (count, IN) = rows `tokens` of W (ids in 0..<OUT, checked by the caller): the
        /// lookup of an embedding table.
        func gatherRows(_ tokens: UnsafePointer<Int32>, count: Int, columns: Int, into out: UnsafeMutablePointer<Float>) {
            switch self {
            case .fp32(let table): embeddingForward(out: out, tokens: tokens, table: table, count: count, channels: columns)
            case .narrowed(let table): table.gatherRows(tokens, count: count, into: out)
            case .packed: preconditionFailure("BertWeights: embedding tables are not packed")
            }
        }

        /// C (m, OUT) = A (m, IN) · Wᵀ + bias, for the m > gemvMaxRows rows the encoder always
        /// passes (so the FP32 GEMM takes its packed path, as the narrowed product does).
        func linear(m: Int, outFeatures n: Int, inFeatures k: Int, a: UnsafePointer<Float>, lda: Int,
                    c: UnsafeMutablePointer<Float>, ldc: Int, bias: UnsafePointer<Float>) {
            switch self {
            case .fp32(let weight):
                gemm(transA: false, transB: true, m: m, n: n, k: k, alpha: 1, a: a, lda: lda,
                     b: weight, ldb: k, beta: 0, c: c, ldc: ldc, bias: bias)
            case .packed(let weight):
                weight.product(m: m, a: a, lda: lda, c: c, ldc: ldc, bias: bias)
            case .narrowed(let weight):
                weight.product(m: m, a: a, lda: lda, c: c, ldc: ldc, bias: bias)
            }
        }
    }

    /// One layer's parameters, valid inside `withLayer`.
    struct Layer {
        let queryWeight, keyWeight, valueWeight: Matrix  // (C, C) each
        let queryBias, keyBias, valueBias: UnsafePointer<Float>        // (C) each
        let attentionOutWeight: Matrix                // (C, C)
        let attentionOutBias: UnsafePointer<Float>    // (C)
        let ln1Weight, ln1Bias: UnsafePointer<Float>  // (C): LayerNorm after attention
        let ffnInWeight: Matrix                       // (F, C)
        let ffnInBias: UnsafePointer<Float>           // (F)
        let ffnOutWeight: Matrix                      // (C, F)
        let ffnOutBias: UnsafePointer<Float>          // (C)
        let ln2Weight, ln2Bias: UnsafePointer<Float>  // (C): LayerNorm after the feed-forward
    }

    let config: BertConfig
    /// The FP32 tensors in the order of `tensorSpecs` (empty for a packed or narrowed matrix).
    private let tensors: [[Float]]
    /// The FP32 layer matrices in packed panels, by index in `tensorSpecs`.
    private let packedMatrices: [Int: GemmPackedWeight]
    /// The narrowed matrices, by index in `tensorSpecs`.
    private let narrowedMatrices: [Int: QuantizedMatrix]
    /// Floats of all tensors (narrowed ones counted as their FP32 originals).
    let parameterCount: Int

    /// The Hugging Face names (without prefix) and shapes of the tensors the model reads, in the
    /// order `withEmbeddings` and `withLayer` read them.
    static func tensorSpecs(_ config: BertConfig) -> [(name: String, shape: [Int])] {
        let (V, C, F, P, TT) = (config.vocabSize, config.hiddenSize, config.intermediateSize,
                                config.maxPositions, config.typeVocabSize)
        var specs: [(name: String, shape: [Int])] = [
            ("embeddings.word_embeddings.weight", [V, C]), ("embeddings.position_embeddings.weight", [P, C]),
            ("embeddings.token_type_embeddings.weight", [TT, C]),
            ("embeddings.LayerNorm.weight", [C]), ("embeddings.LayerNorm.bias", [C]),
        ]
        for i in 0..<config.layerCount {
            let parts: [(String, [Int])] = [
                ("attention.self.query.weight", [C, C]), ("attention.self.key.weight", [C, C]),
                ("attention.self.value.weight", [C, C]), ("attention.self.query.bias", [C]),
                ("attention.self.key.bias", [C]), ("attention.self.value.bias", [C]),
                ("attention.output.dense.weight", [C, C]), ("attention.output.dense.bias", [C]),
                ("attention.output.LayerNorm.weight", [C]), ("attention.output.LayerNorm.bias", [C]),
                ("intermediate.dense.weight", [F, C]), ("intermediate.dense.bias", [F]),
                ("output.dense.weight", [C, F]), ("output.dense.bias", [C]),
                ("output.LayerNorm.weight", [C]), ("output.LayerNorm.bias", [C]),
            ]
            specs += parts.map { ("encoder.layer.\(i).\($0.0)", $0.1) }
        }
        return specs
    }

    /// Tensors before the first layer in `tensorSpecs`, and per layer.
    private static let embeddingTensorCount = 5, layerTensorCount = 16
    /// Positions of the weight matrices within a layer's tensors (query, key, value, attention
    /// output, intermediate, output).
    private static let layerMatrixOffsets = [0, 1, 2, 6, 10, 12]

    /// Indexes in `tensorSpecs` of the matrices narrowing holds as BF16/Q8: the word embeddings
    /// (index 0) and the six matrices of every layer.
    static func matrixIndexes(_ config: BertConfig) -> [Int] {
        [0] + (0..<config.layerCount).flatMap { layer in
            layerMatrixOffsets.map { embeddingTensorCount + layer * layerTensorCount + $0 }
        }
    }

    /// Names of tensors a Hugging Face BERT file may hold in a dtype we do not read.
    static let skippedTensors: Set<String> = ["embeddings.position_ids", "bert.embeddings.position_ids"]

    /// Packs the layer matrices of `tensors` that are not narrowed, releasing each original.
    private init(config: BertConfig, tensors: [[Float]], narrowedMatrices: [Int: QuantizedMatrix]) {
        let specs = Self.tensorSpecs(config)
        var tensors = tensors
        var packed: [Int: GemmPackedWeight] = [:]
        for index in Self.matrixIndexes(config).dropFirst() where narrowedMatrices[index] == nil {
            let shape = specs[index].shape
            packed[index] = tensors[index].withUnsafeBufferPointer { weight in
                GemmPackedWeight(weight: weight.baseAddress!, rows: shape[0], columns: shape[1])
            }
            tensors[index] = []
        }
        self.config = config
        self.tensors = tensors
        self.packedMatrices = packed
        self.narrowedMatrices = narrowedMatrices
        parameterCount = Self.tensorSpecs(config).reduce(0) { $0 + $1.shape.reduce(1, *) }
    }

    /// Takes the tensors of `file` that `config` describes (sharing their storage), checking
    /// every name and shape; a file with `weight_format` metadata holds narrowed matrices.
    convenience init(config: BertConfig, file: SafeTensorsFile) throws {
        try config.validate()
        let prefix = (try? file.tensor(named: "bert.embeddings.word_embeddings.weight")) != nil ? "bert." : ""
        if let extra = file.tensors.first(where: { $0.name.hasPrefix(prefix + "encoder.layer.\(config.layerCount).") }) {
            throw AttentionError(.format, "tensor '\(extra.name)' belongs to a layer beyond num_hidden_layers \(config.layerCount)")
        }
        let format = try WeightFormat.stored(in: file.metadata)
        let matrices = format == nil ? [] : Self.matrixIndexes(config)
        var narrowed: [Int: QuantizedMatrix] = [:]
        var tensors: [[Float]] = []
        for (index, spec) in Self.tensorSpecs(config).enumerated() {
            if let format, matrices.contains(index) {
                narrowed[index] = try QuantizedMatrix(file, named: prefix + spec.name, shape: spec.shape, format: format)
                tensors.append([])
                continue
            }
            let tensor = try file.tensor(named: prefix + spec.name)
            guard tensor.dtype.isFloatingPoint else {
                throw AttentionError(.format, "tensor '\(tensor.name)' is \(tensor.dtype.rawValue), not a floating-point type")
            }
            tensors.append(try file.tensor(named: prefix + spec.name, shape: spec.shape))
        }
        self.init(config: config, tensors: tensors, narrowedMatrices: narrowed)
    }

    /// Copies the parameters of `model` (laid out as `tensorSpecs`, which `BertModel` keeps).
    convenience init(model: BertModel) throws {
        let specs = Self.tensorSpecs(model.config)
        guard model.localParameters.map(\.name) == specs.map(\.name),
              model.localParameters.map(\.parameter.shape) == specs.map(\.shape) else {
            throw AttentionError(.internal, "BertModel's tensors do not follow BertWeights.tensorSpecs")
        }
        self.init(config: model.config, tensors: model.localParameters.map(\.parameter.value.scalars), narrowedMatrices: [:])
    }

    /// The storage of the narrowed matrices, or nil while the weights are FP32.
    var weightFormat: WeightFormat? { narrowedMatrices.values.first?.format }

    /// These weights with the word embeddings and every layer matrix narrowed to `format` (the FP32 matrices are not
    /// kept). Throws when they are narrowed already, or (Q8) a dimension is not a multiple of 32.
    func narrowed(to format: WeightFormat) throws -> BertWeights {
        if let current = weightFormat {
            throw AttentionError.invalid("quantize: the encoder already holds \(current.rawValue) weights; narrow the FP32 model")
        }
        let specs = Self.tensorSpecs(config)
        var tensors = self.tensors
        var narrowed: [Int: QuantizedMatrix] = [:]
        for index in Self.matrixIndexes(config) {
            do {
                narrowed[index] = try QuantizedMatrix(quantizing: Tensor(shape: specs[index].shape, values: fp32Values(index)),
                                                      as: format)
            } catch let error as AttentionError {
                throw AttentionError(error.kind, "\(specs[index].name): \(error.message)")
            }
            tensors[index] = []
        }
        return BertWeights(config: config, tensors: tensors, narrowedMatrices: narrowed)
    }

    /// The tensors of a `model.safetensors` holding these weights (names without prefix;
    /// narrowed matrices as `QuantizedMatrix.safeTensors(named:)`) and its metadata
    /// (`weight_format`, and `q8_block_size` for Q8).
    func safeTensors() -> (tensors: [SafeTensor], metadata: [String: String]) {
        var result: [SafeTensor] = []
        for (index, spec) in Self.tensorSpecs(config).enumerated() {
            if let matrix = narrowedMatrices[index] {
                result += matrix.safeTensors(named: spec.name)
            } else {
                result.append(SafeTensor(name: spec.name, shape: spec.shape, data: fp32Values(index)))
            }
        }
        return (result, weightFormat.map { $0.metadata } ?? [:])
    }

    /// The values of FP32 tensor `index` (a packed matrix read back from its panels).
    private func fp32Values(_ index: Int) -> [Float] {
        packedMatrices[index]?.unpacked() ?? tensors[index]
    }

    /// Calls `body` with the embedding tables, valid for the duration of the call.
    func withEmbeddings<Result>(_ body: (Embeddings) throws -> Result) rethrows -> Result {
        try lend(0..<Self.embeddingTensorCount) { p in
            try body(Embeddings(word: narrowedMatrices[0].map(Matrix.narrowed) ?? .fp32(p[0]!), position: p[1]!,
                                type: p[2]!, normWeight: p[3]!, normBias: p[4]!))
        }
    }

    /// Calls `body` with the parameters of layer `index`, valid for the duration of the call.
    func withLayer<Result>(_ index: Int, _ body: (Layer) throws -> Result) rethrows -> Result {
        let first = Self.embeddingTensorCount + index * Self.layerTensorCount
        return try lend(first..<first + Self.layerTensorCount) { l in
            func matrix(_ offset: Int) -> Matrix {
                if let packed = packedMatrices[first + offset] { return .packed(packed) }
                return narrowedMatrices[first + offset].map(Matrix.narrowed) ?? .fp32(l[offset]!)
            }
            return try body(Layer(queryWeight: matrix(0), keyWeight: matrix(1), valueWeight: matrix(2),
                                  queryBias: l[3]!, keyBias: l[4]!, valueBias: l[5]!, attentionOutWeight: matrix(6),
                                  attentionOutBias: l[7]!, ln1Weight: l[8]!, ln1Bias: l[9]!, ffnInWeight: matrix(10),
                                  ffnInBias: l[11]!, ffnOutWeight: matrix(12), ffnOutBias: l[13]!, ln2Weight: l[14]!,
                                  ln2Bias: l[15]!))
        }
    }

    /// Pointers to `tensors[range]`, nil for packed and narrowed matrices (at most 16 nested
    /// `withUnsafeBufferPointer` calls). Every FP32 tensor has ≥ 1 element (sizes ≥ 1).
    private func lend<Result>(_ range: Range<Int>, _ body: ([UnsafePointer<Float>?]) throws -> Result) rethrows -> Result {
        var collected: [UnsafePointer<Float>?] = []
        collected.reserveCapacity(range.count)
        func nest(_ index: Int, _ collected: inout [UnsafePointer<Float>?]) throws -> Result {
            guard index < range.upperBound else { return try body(collected) }
            return try tensors[index].withUnsafeBufferPointer { buffer in
                collected.append(buffer.isEmpty ? nil : buffer.baseAddress)
                return try nest(index + 1, &collected)
            }
        }
        return try nest(range.lowerBound, &collected)
    }
}
