/// The parameters of a BERT encoder in one FP32 buffer, read from a Hugging Face
/// `model.safetensors` (tensor names with or without the `bert.` prefix of `BertForX` models).
///
/// Letters as in `BertConfig`. Linear weights are (out, in), as PyTorch stores them; the query,
/// key and value projections of a layer are stacked into one (3C, C) matrix so one GEMM
/// computes all three.
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
final class BertWeights: @unchecked Sendable {
    struct Layer {
        let qkvWeight: UnsafePointer<Float>      // (3C, C)
        let qkvBias: UnsafePointer<Float>        // (3C)
        let attentionOutWeight: UnsafePointer<Float>  // (C, C)
        let attentionOutBias: UnsafePointer<Float>    // (C)
        let ln1Weight: UnsafePointer<Float>      // (C): LayerNorm after attention
        let ln1Bias: UnsafePointer<Float>
        let ffnInWeight: UnsafePointer<Float>    // (F, C)
        let ffnInBias: UnsafePointer<Float>      // (F)
        let ffnOutWeight: UnsafePointer<Float>   // (C, F)
        let ffnOutBias: UnsafePointer<Float>     // (C)
        let ln2Weight: UnsafePointer<Float>      // (C): LayerNorm after the feed-forward
        let ln2Bias: UnsafePointer<Float>
    }

    let config: BertConfig
    let wordEmbedding: UnsafePointer<Float>      // (V, C)
    let positionEmbedding: UnsafePointer<Float>  // (P, C)
    let typeEmbedding: UnsafePointer<Float>      // (TT, C)
    let embeddingNormWeight: UnsafePointer<Float>  // (C)
    let embeddingNormBias: UnsafePointer<Float>    // (C)
    let layers: [Layer]
    private let storage: UnsafeMutablePointer<Float>
    /// Floats in `storage`.
    let parameterCount: Int

    /// Names of tensors a Hugging Face BERT file may hold in a dtype we do not read.
    static let skippedTensors: Set<String> = ["embeddings.position_ids", "bert.embeddings.position_ids"]

    /// Copies the tensors of `file` that `config` describes, checking every shape.
    init(config: BertConfig, file: SafeTensorsFile) throws {
        try config.validate()
        let (V, C, F, P, TT) = (config.vocabSize, config.hiddenSize, config.intermediateSize,
                                config.maxPositions, config.typeVocabSize)
        let prefix = (try? file.tensor(named: "bert.embeddings.word_embeddings.weight")) != nil ? "bert." : ""
        if let extra = file.tensors.first(where: { $0.name.hasPrefix(prefix + "encoder.layer.\(config.layerCount).") }) {
            throw AttentionError(.format, "tensor '\(extra.name)' belongs to a layer beyond num_hidden_layers \(config.layerCount)")
        }
        // Every tensor in storage order, checked before anything is allocated: a config that
        // disagrees with the file fails here, naming the tensor.
        var specs: [(name: String, shape: [Int])] = [
            ("embeddings.word_embeddings.weight", [V, C]), ("embeddings.position_embeddings.weight", [P, C]),
            ("embeddings.token_type_embeddings.weight", [TT, C]),
            ("embeddings.LayerNorm.weight", [C]), ("embeddings.LayerNorm.bias", [C]),
        ]
        let layerParts: [(String, [Int])] = [
            // q, k, v weights one after the other form the (3C, C) matrix; their biases (3C).
            ("attention.self.query.weight", [C, C]), ("attention.self.key.weight", [C, C]),
            ("attention.self.value.weight", [C, C]), ("attention.self.query.bias", [C]),
            ("attention.self.key.bias", [C]), ("attention.self.value.bias", [C]),
            ("attention.output.dense.weight", [C, C]), ("attention.output.dense.bias", [C]),
            ("attention.output.LayerNorm.weight", [C]), ("attention.output.LayerNorm.bias", [C]),
            ("intermediate.dense.weight", [F, C]), ("intermediate.dense.bias", [F]),
            ("output.dense.weight", [C, F]), ("output.dense.bias", [C]),
            ("output.LayerNorm.weight", [C]), ("output.LayerNorm.bias", [C]),
        ]
        for i in 0..<config.layerCount {
            specs += layerParts.map { ("encoder.layer.\(i).\($0.0)", $0.1) }
        }
        let arrays = try specs.map { try file.tensor(named: prefix + $0.name, shape: $0.shape) }  // shares storage
        let count = arrays.reduce(0) { $0 + $1.count }
        storage = .allocate(capacity: count)
        parameterCount = count
        self.config = config
        var pointers: [UnsafePointer<Float>] = []
        var offset = 0
        for data in arrays {
            let target = storage + offset
            data.withUnsafeBufferPointer { target.update(from: $0.baseAddress!, count: $0.count) }
            pointers.append(UnsafePointer(target))
            offset += data.count
        }
        wordEmbedding = pointers[0]
        positionEmbedding = pointers[1]
        typeEmbedding = pointers[2]
        embeddingNormWeight = pointers[3]
        embeddingNormBias = pointers[4]
        layers = (0..<config.layerCount).map { i in
            let p = pointers[5 + i * layerParts.count..<5 + (i + 1) * layerParts.count].map { $0 }
            return Layer(qkvWeight: p[0], qkvBias: p[3], attentionOutWeight: p[6], attentionOutBias: p[7],
                         ln1Weight: p[8], ln1Bias: p[9], ffnInWeight: p[10], ffnInBias: p[11],
                         ffnOutWeight: p[12], ffnOutBias: p[13], ln2Weight: p[14], ln2Bias: p[15])
        }
    }

    deinit { storage.deallocate() }
}
