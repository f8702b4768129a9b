import AttentionEngine
import Foundation

/// The language models end to end (suite "models"):
/// - `gpt_train_step`: one Trainer step (forward, cross-entropy, backward, gradient clipping at
///   1.0, AdamW on two parameter groups) of a GPT on a fixed random batch. Tokens/s = B·T / time.
///   Shapes: the issue's small model (n_layer 4, n_head 4, n_embd 256, block 128, batch 32, the
///   default corpus' vocabulary), `attn train`'s default GPT at the vocabulary of the Tang corpus
///   (4, 4, 128, block 64, B 16, vocab 7477) and a GPT-2-124M-shaped step (12, 12, 768, vocab
///   50257, B 4, T 64).
///   In the table, each is followed by where its time goes: op by op (GEMMs per layer kind,
///   attention, norms, the fused LM head and loss, AdamW, clipping, the tape's own costs),
///   measured with a `StepProfile`.
/// - `generate`: 256 new tokens (greedy, from one token) of the small model with block 512,
///   with the KV cache and without (the whole prefix recomputed at every step).
/// Models are built on the first call, so listing the cases costs nothing.
func modelBenchmarks(quick: Bool) -> [BenchmarkCase] {
    let vocab = (try? CharTokenizer(corpus: DefaultData.corpus).vocabularySize) ?? 2000
    var shapes = [(name: "small", layers: 4, heads: 4, channels: 256, block: 128, batch: 32, time: 128, vocab: vocab)]
    if quick {
        shapes = [("quick", 2, 2, 64, 32, 4, 32, vocab)]
    } else {
        // `attn train`'s default GPT on data/tang-poems.txt (issue 15: its 7,477 characters make
        // the LM head the largest product), without its dropout.
        shapes.append(("tang", 4, 4, 128, 64, 16, 64, 7477))
        shapes.append(("gpt2-124M", 12, 12, 768, 1024, 4, 64, 50257))
    }
    var cases = shapes.map { shape in
        let parameters = ["n_layer": shape.layers, "n_head": shape.heads, "n_embd": shape.channels,
                          "block_size": shape.block, "vocab_size": shape.vocab, "batch": shape.batch, "time": shape.time]
        let config = GPTConfig(nLayer: shape.layers, nHead: shape.heads, nEmbd: shape.channels, contextLength: shape.block,
                               vocabularySize: shape.vocab)
        let step = TrainStep(config, batch: shape.batch, time: shape.time)
        return BenchmarkCase(name: "models.gpt_train_step \(shape.name) B\(shape.batch) T\(shape.time)",
                             kind: "gpt_train_step", parameters: parameters,
                             flops: trainingFlops(config, batch: shape.batch, time: shape.time),
                             details: { step.breakdown() }, run: step.run)
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

/// One Trainer step of a GPT on a fixed random batch; the model and optimizer are built on the
/// first use.
private final class TrainStep {
    private let config: GPTConfig
    private let batch: Int, time: Int
    private var built: (gpt: GPT, trainer: Trainer, loss: Trainer.TrainingLoss)?

    init(_ config: GPTConfig, batch: Int, time: Int) {
        self.config = config
        self.batch = batch
        self.time = time
    }

    private func build() -> (gpt: GPT, trainer: Trainer, loss: Trainer.TrainingLoss) {
        if let built { return built }
        var rng = Random(seed: 2)
        let tokens = (0..<batch * (time + 1)).map { _ in Int32(rng.nextInt(below: config.vocabularySize)) }
        var inputs: [Int32] = [], targets: [Int32] = []
        for row in 0..<batch {
            let start: Int = row * (time + 1)
            inputs += tokens[start..<start + time]
            targets += tokens[start + 1...start + time]
        }
        let gpt = try! GPT(config: config, seed: 1)
        let trainer = try! Trainer(module: gpt, config: TrainingConfig(steps: Int(Int32.max), batchSize: batch,
                                                                       learningRate: 1e-4, warmupSteps: 0))
        let (batch, time) = (self.batch, self.time)
        let loss: Trainer.TrainingLoss = { _ in
            (try gpt.loss(tokens: inputs, targets: targets, batch: batch, time: time), batch * time)
        }
        built = (gpt, trainer, loss)
        return built!
    }

    func run() {
        let (_, trainer, loss) = build()
        _ = try! trainer.step(loss)
    }

    /// The table of where a step's time goes: `steps` steps under a `StepProfile`, the mean
    /// per step of each category, largest first, with its share of the profiled step.
    func breakdown(steps: Int = 3) -> [String] {
        let (gpt, trainer, loss) = build()
        var seconds: [String: Double] = [:], calls: [String: Int] = [:]
        var total = 0.0
        for _ in 0..<steps {
            let profile = StepProfile.measure(naming: gpt) { _ = try! trainer.step(loss) }.profile
            for entry in profile.entries {
                seconds[entry.category, default: 0] += entry.seconds / Double(steps)
                calls[entry.category, default: 0] += entry.calls
            }
            total += profile.totalSeconds / Double(steps)
        }
        func pad(_ text: String, _ width: Int) -> String {
            text.count >= width ? text + " " : text + String(repeating: " ", count: width - text.count)
        }
        var lines = ["  where a step's time goes (mean of \(steps) profiled steps, "
                     + String(format: "%.1f ms per step):", total * 1e3),
                     "  " + pad("op / phase", 44) + pad("calls", 7) + pad("ms", 9) + "% of step"]
        for (category, time) in seconds.sorted(by: { $0.value > $1.value }) {
            lines.append("  " + pad(category, 44) + pad(String(calls[category]! / steps), 7)
                         + pad(String(format: "%.2f", time * 1e3), 9) + String(format: "%5.1f", 100 * time / total))
        }
        return lines
    }
}
