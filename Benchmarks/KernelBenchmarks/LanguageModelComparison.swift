import AttentionEngine
import Foundation

/// GPT vs GRU vs CNN language models on the default corpus (suite "lm-compare"): each call
/// trains a fresh model (seed 1) for the same wall-clock budget with the same Trainer settings
/// (context 64, batch 16, AdamW 3e-3, warm-up 20 steps) and prints to standard error the steps
/// done, the training tokens/s and the validation loss reached. The timed median is the budget
/// itself; the printed lines are the comparison (one per call, so the spread shows the noise).
func languageModelComparison(quick: Bool) -> [BenchmarkCase] {
    let budget = quick ? 1.0 : 8.0
    let context = 64
    let models: [(name: String, build: (Int) throws -> any LanguageModel)] = [
        ("gpt L4 H4 C128", { try GPT(config: GPTConfig(nLayer: 4, nHead: 4, nEmbd: 128, contextLength: context, vocabularySize: $0), seed: 1) }),
        ("gru E128 H256", { try RecurrentLM(config: RecurrentLMConfig(cell: .gru, nLayer: 1, nEmbd: 128, hiddenSize: 256,
                                                                      contextLength: context, vocabularySize: $0), seed: 1) }),
        ("cnn L6 C192 K3", { try ConvolutionalLM(config: ConvolutionalLMConfig(nLayer: 6, nEmbd: 192, kernelSize: 3,
                                                                               contextLength: context, vocabularySize: $0), seed: 1) }),
    ]
    return models.map { model in
        BenchmarkCase(name: "lm-compare \(model.name)", kind: "lm_compare",
                      parameters: ["budget_ms": Int(budget * 1000), "context": context]) {
            do {
                let tokenizer = try CharTokenizer(corpus: DefaultData.corpus)
                let data = try TextBatches(text: DefaultData.corpus, tokenizer: tokenizer, contextLength: context)
                let lm = try model.build(tokenizer.vocabularySize)
                let trainer = try Trainer(model: lm, data: data,
                                          config: TrainingConfig(steps: 1_000_000, batchSize: 16, learningRate: 3e-3,
                                                                 minLearningRate: 3e-3, warmupSteps: 20, evaluationBatches: 8))
                let start = DispatchTime.now().uptimeNanoseconds
                var tokensPerSecond: [Double] = []
                try trainer.run { progress in
                    tokensPerSecond.append(progress.tokensPerSecond)
                    return Double(DispatchTime.now().uptimeNanoseconds - start) * 1e-9 < budget
                }
                let loss = try trainer.evaluate()
                tokensPerSecond.sort()
                let line = String(format: "lm-compare %@: %d params, %d steps in %.0f s, median %.0f tokens/s, validation loss %.3f\n",
                                  model.name, lm.parameterCount, trainer.step, budget,
                                  tokensPerSecond[tokensPerSecond.count / 2], loss)
                FileHandle.standardError.write(Data(line.utf8))
            } catch {
                FileHandle.standardError.write(Data("lm-compare \(model.name): \(error)\n".utf8))
            }
        }
    }
}
