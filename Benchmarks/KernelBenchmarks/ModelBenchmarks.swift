import AttentionEngine
import Foundation

/// The language models end to end (suite "models"):
/// - `gpt_train_step`: one Trainer step (forward, cross-entropy, backward, gradient clipping at
///   1.0, AdamW on two parameter groups) of a GPT on a fixed random batch. Tokens/s = B·T / time.
///   Shapes: the issue's small model (n_layer 4, n_head 4, n_embd 256, block 128, batch 32, the
///   default corpus' vocabulary) and a GPT-2-124M-shaped step (12, 12, 768, vocab 50257, B 4, T 64).
/// - `generate`: 256 new tokens (greedy, from one token) of the small model with block 512,
///   with the KV cache and without (the whole prefix recomputed at every step).
/// Models are built on the first call, so listing the cases costs nothing.
func modelBenchmarks(quick: Bool) -> [BenchmarkCase] {
    let vocab = (try? CharTokenizer(corpus: DefaultData.corpus).vocabularySize) ?? 2000
    var shapes = [(name: "small", layers: 4, heads: 4, channels: 256, block: 128, batch: 32, time: 128, vocab: vocab)]
    if quick {
        shapes = [("quick", 2, 2, 64, 32, 4, 32, vocab)]
    } else {
        shapes.append(("gpt2-124M", 12, 12, 768, 1024, 4, 64, 50257))
    }
    var cases = shapes.map { shape in
        let parameters = ["n_layer": shape.layers, "n_head": shape.heads, "n_embd": shape.channels,
                          "block_size": shape.block, "vocab_size": shape.vocab, "batch": shape.batch, "time": shape.time]
        let config = GPTConfig(nLayer: shape.layers, nHead: shape.heads, nEmbd: shape.channels, contextLength: shape.block,
                               vocabularySize: shape.vocab)
        return BenchmarkCase(name: "models.gpt_train_step \(shape.name) B\(shape.batch) T\(shape.time)",
                             kind: "gpt_train_step", parameters: parameters,
                             flops: trainingFlops(config, batch: shape.batch, time: shape.time),
                             run: lazyTrainStep(config, batch: shape.batch, time: shape.time))
    }
    let newTokens = quick ? 32 : 256
    let generationConfig = quick
        ? GPTConfig(nLayer: 2, nHead: 2, nEmbd: 64, contextLength: 64, vocabularySize: vocab)
        : GPTConfig(nLayer: 4, nHead: 4, nEmbd: 256, contextLength: 512, vocabularySize: vocab)
    for cached in [true, false] {
        let parameters = ["n_layer": generationConfig.nLayer, "n_head": generationConfig.nHead,
                          "n_embd": generationConfig.nEmbd, "block_size": generationConfig.contextLength,
                          "vocab_size": vocab, "new_tokens": newTokens, "cached": cached ? 1 : 0]
        var model: GPT?
        cases.append(BenchmarkCase(name: "models.generate \(cached ? "cached" : "uncached") \(newTokens)",
                                   kind: "generate", parameters: parameters) {
            if model == nil { model = try! GPT(config: generationConfig, seed: 1) }
            _ = try! generate(model: model!, prompt: [CharTokenizer.bos],
                              options: GenerationOptions(maxNewTokens: newTokens, stopAtEOS: false, useCache: cached))
        })
    }
    return cases
}

/// ≈ 6·N·(B·T) for the parameters N without the position table, plus the attention's
/// 6·(2·B·T²·C)·n_layer (forward QKᵀ and PV at causal half, backward twice the forward).
private func trainingFlops(_ config: GPTConfig, batch: Int, time: Int) -> Double {
    let c: Double = Double(config.nEmbd), l: Double = Double(config.nLayer)
    let tokens: Double = Double(batch * time)
    let parameters: Double = l * 12 * c * c + Double(config.vocabularySize) * c
    let attention: Double = 6 * l * tokens * Double(time) * c
    return 6 * parameters * tokens + attention
}

/// One Trainer step on a fixed random batch; the model and optimizer are built on the first call.
private func lazyTrainStep(_ config: GPTConfig, batch: Int, time: Int) -> () -> Void {
    var trainer: Trainer?
    return {
        if trainer == nil {
            var rng = Random(seed: 2)
            let tokens = (0..<batch * (time + 1)).map { _ in Int32(rng.nextInt(below: config.vocabularySize)) }
            var inputs: [Int32] = [], targets: [Int32] = []
            for row in 0..<batch {
                let start: Int = row * (time + 1)
                inputs += tokens[start..<start + time]
                targets += tokens[start + 1...start + time]
            }
            let gpt = try! GPT(config: config, seed: 1)
            trainer = try! Trainer(module: gpt, config: TrainingConfig(steps: Int(Int32.max), batchSize: batch,
                                                                       learningRate: 1e-4, warmupSteps: 0),
                                   trainingLoss: { _ in
                (try gpt.loss(tokens: inputs, targets: targets, batch: batch, time: time), batch * time)
            }, validationLoss: { _ in 0 })
        }
        _ = try! trainer!.run { _ in false }  // exactly one step
    }
}
