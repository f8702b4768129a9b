import AttentionEngine

/// The default corpus as next-character batches (context `length`), and the validation loss of a
/// model before and after `steps` training steps on it (batch 16, lr 3e-3, fixed seeds).
func defaultCorpusBatches(length: Int) throws -> (CharTokenizer, TextBatches) {
    let tokenizer = try CharTokenizer(corpus: DefaultData.corpus)
    return (tokenizer, try TextBatches(text: DefaultData.corpus, tokenizer: tokenizer, contextLength: length))
}

func validationLossBeforeAndAfter(_ model: any LanguageModel, data: TextBatches, steps: Int) throws -> (Float, Float) {
    let trainer = try Trainer(model: model, data: data,
                              config: TrainingConfig(steps: steps, batchSize: 16, learningRate: 3e-3, warmupSteps: 5,
                                                     evaluationInterval: steps, evaluationBatches: 4))
    let before = try trainer.evaluate()
    let after = try trainer.run().last!.validationLoss!
    return (before, after)
}
