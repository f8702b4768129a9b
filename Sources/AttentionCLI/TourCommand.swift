import ArgumentParser
import AttentionEngine
import Foundation

/// `attn tour`: the whole walkthrough on the embedded data — a neuron fitted by gradient descent,
/// a dialogue learned by a seq2seq transformer, next-character prediction with the attention
/// shown in colour, and RNN vs CNN vs attention on the same corpus and time budget.
struct TourCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tour",
        abstract: "Walk through neurons, backpropagation, seq2seq and attention on built-in data.")

    @Flag(help: "A short run (a few seconds per step), as CI runs it.") var quick = false
    @Option(help: "Seconds of training for the dialogue and the GPT (default 25, 3 with --quick).")
    var seconds: Double?
    @Option(help: "Seed for initialisation, batches and sampling.") var seed: UInt64 = 1

    func validate() throws {
        if let seconds, !(seconds > 0 && seconds <= 3600) {
            throw ValidationError("--seconds must be in (0, 3600]")
        }
    }

    func run() throws {
        try reportingErrors {
            let budget = seconds ?? (quick ? 3 : 25)
            print(Terminal.paint("libattention tour", (90, 160, 255), bold: true)
                + " — built-in data, \(Parallel.threadCount) threads\n")
            try TourNeuron.run(steps: quick ? 300 : 1500, seed: seed)
            try TourDialogue.run(seconds: budget, seed: seed)
            try TourNextCharacter.run(seconds: budget, seed: seed)
            try TourComparison.run(secondsEach: quick ? budget / 2 : 10, seed: seed)
        }
    }
}

/// Prints a section heading of the tour.
func tourHeading(_ number: Int, _ title: String) {
    print(Terminal.paint("\(number). \(title)", (255, 200, 80), bold: true))
}

/// Step 1: y = σ(a·x + b) fitted to data made from known a and b, by plain gradient descent.
enum TourNeuron {
    static let trueA: Float = 2, trueB: Float = -1

    static func run(steps: Int, seed: UInt64) throws {
        tourHeading(1, "One neuron: y = σ(a·x + b), fitted by gradient descent")
        var rng = Random(seed: seed)
        let count = 256
        let xs = (0..<count).map { _ in rng.nextUniform() * 6 - 3 }
        let ys = xs.map { 1 / (1 + Foundation.exp(-(trueA * $0 + trueB))) }
        let x = try Tensor(shape: [count, 1], values: xs)
        let label = try Tensor(shape: [count, 1], values: ys)
        let neuron = try Linear(inFeatures: 1, outFeatures: 1, rng: &rng)
        let optimizer = try SGD(neuron.parameters, learningRate: 2.0, momentum: 0.9)
        print("   \(count) points made with a = \(format(trueA)), b = \(format(trueB)); "
            + "random start a = \(format(neuron.weight.value.item)), b = \(format(neuron.bias!.value.item))")
        print("   " + Terminal.pad("step", to: 8) + Terminal.pad("a", to: 9) + Terminal.pad("b", to: 9) + "loss (mean squared error)")
        for step in 0...steps {
            neuron.zeroGrad()
            let loss = try neuron(x).sigmoid().mseLoss(label)
            if step % (steps / 6) == 0 || step == steps {
                print("   " + Terminal.pad("\(step)", to: 8) + Terminal.pad(format(neuron.weight.value.item), to: 9)
                    + Terminal.pad(format(neuron.bias!.value.item), to: 9) + String(format: "%.6f", loss.item))
            }
            if step == steps { break }
            try loss.backward()
            optimizer.step()
        }
        print("   Learned a = \(format(neuron.weight.value.item)), b = \(format(neuron.bias!.value.item)) "
            + "(true \(format(trueA)), \(format(trueB))): backpropagation found the parameters.\n")
    }

    static func format(_ value: Float) -> String { String(format: "%.3f", value) }
}

/// Step 3: a small GPT learns to continue classical Chinese; generation is shown with what the
/// last layer attends to at each new character.
enum TourNextCharacter {
    static let prompt = "道可道，"

    static func run(seconds: Double, seed: UInt64) throws {
        tourHeading(3, "Next-character prediction with self-attention")
        let corpus = DefaultData.corpus
        let tokenizer = try CharTokenizer(corpus: corpus)
        let config = GPTConfig(nLayer: 2, nHead: 4, nEmbd: 96, contextLength: 32,
                               vocabularySize: tokenizer.vocabularySize)
        let model = try GPT(config: config, seed: seed)
        let data = try TextBatches(text: corpus, tokenizer: tokenizer, contextLength: config.contextLength)
        print("   A GPT (\(config.nLayer) layers, \(config.nHead) heads, width \(config.nEmbd), "
            + "\(model.parameterCount) parameters) reads \(corpus.utf8.count / 1024) KB of classical Chinese "
            + "(\(tokenizer.vocabularySize) distinct characters) for \(Int(seconds)) s.")
        let trainer = try Trainer(model: model, data: data, config: TrainingConfig(
            steps: 100_000, batchSize: 16, learningRate: 3e-3, warmupSteps: 20, evaluationInterval: 50,
            seed: seed))
        let started = Date()
        var last = Date()
        var best = BestValidation()
        try trainer.run { progress in
            let elapsed = Date().timeIntervalSince(started)
            best.record(progress)
            if Date().timeIntervalSince(last) >= max(1, seconds / 6) || progress.step == 1 {
                last = Date()
                print(String(format: "   step %5d   loss %.3f   %@%6.0f tokens/s   %4.1f s", progress.step,
                             progress.loss, best.latest.map { String(format: "val %.3f   ", $0) } ?? "",
                             progress.tokensPerSecond, elapsed))
            }
            return elapsed < seconds
        }
        print(String(format: "   best validation loss %.3f at step %d (a uniform guess is %.3f); "
            + "after that the model memorises the 29 KB corpus faster than it generalises.",
                     best.loss, best.step, Foundation.log(Double(tokenizer.vocabularySize))))

        print("   Generating from “\(prompt)”. Red: the new character; blue: the characters the last"
            + " layer attends to when it picks it (darker = stronger); gray: the least attended.")
        var context = prompt.unicodeScalars.map { String($0) }
        let result = try generate(model: model, prompt: tokenizer.encode(prompt), options: GenerationOptions(
            maxNewTokens: 16, sampling: .greedy, recordAttention: true))
        for (token, maps) in zip(result.tokens, result.attention) {
            let character = try tokenizer.decode([token], showSpecial: true)
            let weights = AttentionColouring.weights(maps, layer: maps.count - 1, head: nil)
            print("   " + AttentionColouring.line(context: Array(context.suffix(weights.count)),
                                                  weights: weights, generated: character))
            context.append(character)
        }
        print()
    }
}

/// Step 2: a seq2seq transformer learns the dialogue pairs until it answers 你吃了吗？
enum TourDialogue {
    static let question = "你吃了吗？"

    static func run(seconds: Double, seed: UInt64) throws {
        tourHeading(2, "Dialogue pairs: an encoder–decoder learns to answer “\(question)”")
        let pairs = DefaultData.dialoguePairs
        let tokenizer = try CharTokenizer(corpus: pairs.map { $0.question + $0.answer }.joined())
        let expected = pairs.first { $0.question == question }?.answer ?? ""
        let config = Seq2SeqConfig(nEncoderLayer: 2, nDecoderLayer: 2, nHead: 4, nEmbd: 64, maxSourceLength: 40,
                                   maxTargetLength: 40, vocabularySize: tokenizer.vocabularySize)
        let model = try Seq2Seq(config: config, seed: seed)
        let data = try PairBatches(pairs: pairs, tokenizer: tokenizer, maxSourceLength: 40, maxTargetLength: 40)
        print("   \(pairs.count) question–answer pairs such as “\(pairs[1].question)” → “\(pairs[1].answer)”; "
            + "the decoder reads the question through cross-attention.")
        let trainer = try Trainer(model: model, data: data, config: TrainingConfig(
            steps: 100_000, batchSize: 16, learningRate: 3e-3, warmupSteps: 20, weightDecay: 0, seed: seed))
        let started = Date()
        var answer = ""
        try trainer.run { progress in
            let elapsed = Date().timeIntervalSince(started)
            if progress.step % 25 == 0 || elapsed >= seconds {
                answer = (try? reply(model, tokenizer)) ?? ""
                print(String(format: "   step %4d   loss %.3f   ", progress.step, progress.loss)
                    + "\(question) → \(answer.isEmpty ? "(nothing yet)" : answer)")
            }
            return elapsed < seconds && answer != expected
        }
        print(answer == expected
            ? "   It answers “\(answer)”, as in the training pairs.\n"
            : "   Not there yet after \(Int(seconds)) s: “\(answer)” (expected “\(expected)”; try --seconds 30).\n")
    }

    static func reply(_ model: Seq2Seq, _ tokenizer: CharTokenizer) throws -> String {
        let result = try model.answer(question: tokenizer.encode(question),
                                      options: GenerationOptions(maxNewTokens: 20))
        return try tokenizer.decode(result.tokens)
    }
}

/// Step 4: RNN (GRU), CNN (causal dilated convolutions) and attention (GPT) language models, each
/// trained for the same wall-clock time on the same corpus and batches.
enum TourComparison {
    static func run(secondsEach: Double, seed: UInt64) throws {
        tourHeading(4, "RNN vs CNN vs attention: same corpus, same batches, \(Int(secondsEach.rounded())) s each")
        let corpus = DefaultData.corpus
        let tokenizer = try CharTokenizer(corpus: corpus)
        let vocabulary = tokenizer.vocabularySize, block = 32
        let data = try TextBatches(text: corpus, tokenizer: tokenizer, contextLength: block)
        let contenders: [(String, any LanguageModel)] = [
            ("GRU (RNN)", try RecurrentLM(config: RecurrentLMConfig(
                cell: .gru, nLayer: 1, nEmbd: 96, hiddenSize: 192, contextLength: block, vocabularySize: vocabulary), seed: seed)),
            ("causal CNN", try ConvolutionalLM(config: ConvolutionalLMConfig(
                nLayer: 4, nEmbd: 96, kernelSize: 3, contextLength: block, vocabularySize: vocabulary), seed: seed)),
            ("GPT (attention)", try GPT(config: GPTConfig(
                nLayer: 2, nHead: 4, nEmbd: 96, contextLength: block, vocabularySize: vocabulary), seed: seed)),
        ]
        print("   " + Terminal.pad("model", to: 18) + Terminal.pad("parameters", to: 12) + Terminal.pad("steps", to: 8)
            + Terminal.pad("tokens/s", to: 10) + "best validation loss")
        for (name, model) in contenders {
            let trainer = try Trainer(model: model, data: data, config: TrainingConfig(
                steps: 100_000, batchSize: 16, learningRate: 3e-3, warmupSteps: 20, evaluationInterval: 25,
                seed: seed))
            let started = Date()
            var tokens = 0, steps = 0
            var best = BestValidation()
            try trainer.run { progress in
                steps = progress.step
                tokens += 16 * block
                best.record(progress)
                return Date().timeIntervalSince(started) < secondsEach
            }
            let rate = Double(tokens) / Date().timeIntervalSince(started)
            if best.step == 0 { best.record(step: steps, loss: try trainer.evaluate()) }
            print("   " + Terminal.pad(name, to: 18) + Terminal.pad("\(model.parameterCount)", to: 12)
                + Terminal.pad("\(steps)", to: 8) + Terminal.pad(String(format: "%.0f", rate), to: 10)
                + String(format: "%.3f (step %d)", best.loss, best.step))
        }
        print("   Lower is better (measured every 25 steps, the best kept: early stopping); a uniform guess over "
            + "\(vocabulary) characters scores " + String(format: "%.3f", Foundation.log(Double(vocabulary))) + ".\n")
    }
}

/// The lowest validation loss seen during a run (early stopping on a corpus small enough to be
/// memorised), and the latest one.
struct BestValidation {
    private(set) var loss = Float.infinity
    private(set) var step = 0
    private(set) var latest: Float?

    mutating func record(_ progress: TrainingProgress) {
        if let validation = progress.validationLoss { record(step: progress.step, loss: validation) }
    }

    mutating func record(step: Int, loss: Float) {
        latest = loss
        if loss < self.loss { (self.loss, self.step) = (loss, step) }
    }
}
