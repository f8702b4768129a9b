/// A BERT encoder's parameters as a `Module`, under their Hugging Face names
/// (`embeddings.word_embeddings.weight`, `encoder.layer.{i}.attention.self.query.weight`, …; the
/// layout of `BertWeights.tensorSpecs`), so that the model-kind registry builds, saves and loads
/// it like any other kind. It runs through `SentenceEncoder(model:tokenizer:)`; it does not
/// train (BERT is an inference-only kind here) and has no dropout.
///
///     let model = try ModelKinds.named("bert")!.makeModel(config: config, seed: 1) as! BertModel
///     let encoder = try SentenceEncoder(model: model, tokenizer: tokenizer)
public final class BertModel: Module {
    public let config: BertConfig
    /// Every tensor of `BertWeights.tensorSpecs(config)`, in that order.
    public let localParameters: [(name: String, parameter: Parameter)]

    /// A freshly initialized BERT, drawn from `Random(seed:)` as BERT initializes: weights and
    /// embeddings normal with std 0.02, LayerNorm weights 1, biases and LayerNorm biases 0.
    public init(config: BertConfig, seed: UInt64) throws {
        try config.validate()
        var rng = Random(seed: seed)
        self.config = config
        localParameters = try BertWeights.tensorSpecs(config).map { spec in
            let value: Tensor
            if spec.name.hasSuffix("LayerNorm.weight") {
                value = try Tensor.ones(spec.shape)
            } else if spec.name.hasSuffix(".bias") {
                value = try Tensor.zeros(spec.shape)
            } else {
                value = try Tensor.normal(spec.shape, std: 0.02, using: &rng)
            }
            return (spec.name, Parameter(value))
        }
    }
}
