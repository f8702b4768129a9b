/// The parameters of a BERT encoder, read from a Hugging Face `model.safetensors` (tensor
/// names with or without the `bert.` prefix of `BertForX` models).
///
/// Letters as in `BertConfig`. Linear weights are (out, in), as PyTorch stores them. The tensors
/// are kept as the reader returned them (no copy: peak memory while loading stays at one model),
/// and `withEmbeddings` / `withLayer` lend them to the forward pass.
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
final class BertWeights: Sendable {
    /// The embedding tables, valid inside `withEmbeddings`.
    struct Embeddings {
        let word: UnsafePointer<Float>        // (V, C)
        let position: UnsafePointer<Float>    // (P, C)
        let type: UnsafePointer<Float>        // (TT, C)
        let normWeight, normBias: UnsafePointer<Float>  // (C)
    }

    /// One layer's parameters, valid inside `withLayer`.
    struct Layer {
        let queryWeight, keyWeight, valueWeight: UnsafePointer<Float>  // (C, C) each
        let queryBias, keyBias, valueBias: UnsafePointer<Float>        // (C) each
        let attentionOutWeight: UnsafePointer<Float>  // (C, C)
        let attentionOutBias: UnsafePointer<Float>    // (C)
        let ln1Weight, ln1Bias: UnsafePointer<Float>  // (C): LayerNorm after attention
        let ffnInWeight: UnsafePointer<Float>         // (F, C)
        let ffnInBias: UnsafePointer<Float>           // (F)
        let ffnOutWeight: UnsafePointer<Float>        // (C, F)
        let ffnOutBias: UnsafePointer<Float>          // (C)
        let ln2Weight, ln2Bias: UnsafePointer<Float>  // (C): LayerNorm after the feed-forward
    }

    let config: BertConfig
    /// The tensors in the order of `tensorSpecs`.
    private let tensors: [[Float]]
    /// Floats of all tensors.
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

    /// Tensors per layer in `tensorSpecs`.
    private static let layerTensorCount = 16

    /// Names of tensors a Hugging Face BERT file may hold in a dtype we do not read.
    static let skippedTensors: Set<String> = ["embeddings.position_ids", "bert.embeddings.position_ids"]

    /// Takes the tensors of `file` that `config` describes (sharing their storage), checking
    /// every name and shape.
    init(config: BertConfig, file: SafeTensorsFile) throws {
        try config.validate()
        let prefix = (try? file.tensor(named: "bert.embeddings.word_embeddings.weight")) != nil ? "bert." : ""
        if let extra = file.tensors.first(where: { $0.name.hasPrefix(prefix + "encoder.layer.\(config.layerCount).") }) {
            throw AttentionError(.format, "tensor '\(extra.name)' belongs to a layer beyond num_hidden_layers \(config.layerCount)")
        }
        tensors = try Self.tensorSpecs(config).map { try file.tensor(named: prefix + $0.name, shape: $0.shape) }
        parameterCount = tensors.reduce(0) { $0 + $1.count }
        self.config = config
    }

    /// Copies the parameters of `model` (laid out as `tensorSpecs`, which `BertModel` keeps).
    init(model: BertModel) throws {
        let specs = Self.tensorSpecs(model.config)
        guard model.localParameters.map(\.name) == specs.map(\.name),
              model.localParameters.map(\.parameter.shape) == specs.map(\.shape) else {
            throw AttentionError(.internal, "BertModel's tensors do not follow BertWeights.tensorSpecs")
        }
        tensors = model.localParameters.map(\.parameter.value.scalars)
        parameterCount = tensors.reduce(0) { $0 + $1.count }
        config = model.config
    }

    /// Calls `body` with the embedding tables, valid for the duration of the call.
    func withEmbeddings<Result>(_ body: (Embeddings) throws -> Result) rethrows -> Result {
        try lend(0..<5) { p in
            try body(Embeddings(word: p[0], position: p[1], type: p[2], normWeight: p[3], normBias: p[4]))
        }
    }

    /// Calls `body` with the parameters of layer `index`, valid for the duration of the call.
    func withLayer<Result>(_ index: Int, _ body: (Layer) throws -> Result) rethrows -> Result {
        let first = 5 + index * Self.layerTensorCount
        return try lend(first..<first + Self.layerTensorCount) { l in
            try body(Layer(queryWeight: l[0], keyWeight: l[1], valueWeight: l[2], queryBias: l[3], keyBias: l[4],
                           valueBias: l[5], attentionOutWeight: l[6], attentionOutBias: l[7], ln1Weight: l[8],
                           ln1Bias: l[9], ffnInWeight: l[10], ffnInBias: l[11], ffnOutWeight: l[12],
                           ffnOutBias: l[13], ln2Weight: l[14], ln2Bias: l[15]))
        }
    }

    /// Pointers to `tensors[range]` (at most 16 nested `withUnsafeBufferPointer` calls).
    private func lend<Result>(_ range: Range<Int>, _ body: ([UnsafePointer<Float>]) throws -> Result) rethrows -> Result {
        var collected: [UnsafePointer<Float>] = []
        collected.reserveCapacity(range.count)
        func nest(_ index: Int, _ collected: inout [UnsafePointer<Float>]) throws -> Result {
            guard index < range.upperBound else { return try body(collected) }
            return try tensors[index].withUnsafeBufferPointer { buffer in
                collected.append(buffer.baseAddress!)  // every tensor has ≥ 1 element (sizes ≥ 1)
                return try nest(index + 1, &collected)
            }
        }
        return try nest(range.lowerBound, &collected)
    }
}
