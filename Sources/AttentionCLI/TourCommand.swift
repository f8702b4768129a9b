import ArgumentParser
import AttentionEngine
import Foundation

/// `attn tour`: the whole walkthrough — a neuron fitted by gradient descent, a dialogue learned
/// by a seq2seq transformer, next-character prediction on 47,000 Tang poems (data/tang-poems.txt,
/// read at run time; the built-in corpus when it cannot be found) with the attention shown in
/// colour and the poems it writes, and RNN vs CNN vs attention on the same corpus and batches.
///
/// Every part trains for a number of optimizer steps, not seconds: on a loaded machine the tour
/// takes longer but prints the same losses and text (the engine's results do not depend on the
/// thread count either).
struct TourCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tour",
        abstract: "Walk through neurons, backpropagation, seq2seq and attention, on built-in data and the Tang poems.")

    @Flag(help: "The short version CI runs (\(TourPlan.quick.poemModelSteps) steps per language model instead of \(TourPlan.full.poemModelSteps); \(TourPlan.quick.languageModelSteps) instead of \(TourPlan.full.languageModelSteps) on the built-in corpus).")
    var quick = false
    @Option(help: "Training steps of the GPT (part 3) and of each model in the race (part 4); default \(TourPlan.full.poemModelSteps) on the poems, \(TourPlan.full.languageModelSteps) on the built-in corpus (\(TourPlan.quick.poemModelSteps) and \(TourPlan.quick.languageModelSteps) with --quick).")
    var steps: Int?
    @Option(help: "Poems for parts 3 and 4, one per paragraph (default: \(TourCorpus.relativePath) in the folder of the executable or one above it, \(TourCorpus.installedPath) under the install prefix, or the current folder; the built-in corpus if none is there).")
    var corpus: String?
    @Option(help: "Seed for initialisation, batches and sampling.") var seed: UInt64 = 1

    func validate() throws {
        if let steps, !(TourPlan.stepRange ~= steps) {
            throw ValidationError("--steps must be in \(TourPlan.stepRange.lowerBound)...\(TourPlan.stepRange.upperBound)")
        }
    }

    func run() throws {
        try reportingErrors {
            let plan = quick ? TourPlan.quick : TourPlan.full
            // Read and cut into batches before the first part, so that a wrong --corpus fails at once.
            let text = try TourCorpus.load(corpus)
            let languageModelSteps = steps ?? (text.isPoems ? plan.poemModelSteps : plan.languageModelSteps)
            let languageModels: TourLanguageModels
            do {
                languageModels = try TourLanguageModels(text: text, steps: languageModelSteps, seed: seed)
            } catch let error as AttentionError {
                throw AttentionError(error.kind, "\(text.origin): \(error.message)")
            }
            print(Terminal.paint("libattention tour", (90, 160, 255), bold: true)
                + " — \(Parallel.threadCount) threads\n")
            try TourNeuron.run(steps: plan.neuronSteps, seed: seed)
            try TourDialogue.run(maximumSteps: plan.dialogueSteps, seed: seed)
            let gpt = try TourNextCharacter.run(languageModels)
            try TourComparison.run(languageModels, gpt: gpt)
        }
    }
}

/// How long each part of the tour trains, in optimizer steps.
struct TourPlan {
    /// Gradient-descent steps of the single neuron (part 1).
    var neuronSteps: Int
    /// The most steps the dialogue model trains (part 2); it stops as soon as it answers.
    var dialogueSteps: Int
    /// Steps of the GPT (part 3) and of each model it races (part 4) on the built-in corpus.
    var languageModelSteps: Int
    /// The same on the Tang poems, whose 7,477 characters make each step dearer (the LM head):
    /// these keep parts 3 and 4 about as long as on the built-in corpus.
    var poemModelSteps: Int

    /// What CI runs: about 10 s (19 s of CPU time) on two AVX2 cores; 8 s (15 s) on the built-in corpus.
    static let quick = TourPlan(neuronSteps: 300, dialogueSteps: 400, languageModelSteps: 300, poemModelSteps: 100)
    /// The default: about 35 s (67 s of CPU time) on two AVX2 cores; 40 s (77 s) on the built-in corpus.
    static let full = TourPlan(neuronSteps: 1500, dialogueSteps: 1000, languageModelSteps: 1500, poemModelSteps: 400)
    /// What --steps accepts.
    static let stepRange = 10...100_000
}

/// Prints a section heading of the tour.
func tourHeading(_ number: Int, _ title: String) {
    print(Terminal.paint("\(number). \(title)", (255, 200, 80), bold: true))
}

/// Part 1: y = σ(a·x + b) fitted to data made from known a and b, by plain gradient descent.
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

/// Part 2: a seq2seq transformer learns the dialogue pairs until it answers 你吃了吗？
enum TourDialogue {
    static let question = "你吃了吗？"
    /// Steps between two tries at the question.
    static let askInterval = 25

    static func run(maximumSteps: Int, seed: UInt64) throws {
        tourHeading(2, "Dialogue pairs: an encoder–decoder learns to answer “\(question)”")
        let pairs = DefaultData.dialoguePairs
        let tokenizer = try CharTokenizer(corpus: pairs.map { $0.question + $0.answer }.joined())
        let expected = pairs.first { $0.question == question }?.answer ?? ""
        // Room for the longest question or answer plus BOS and EOS, as `attn train` fits it.
        let length = (pairs.map { max($0.question.unicodeScalars.count, $0.answer.unicodeScalars.count) }.max() ?? 1) + 2
        let config = Seq2SeqConfig(nEncoderLayer: 2, nDecoderLayer: 2, nHead: 4, nEmbd: 64, maxSourceLength: length,
                                   maxTargetLength: length, vocabularySize: tokenizer.vocabularySize)
        let model = try Seq2Seq(config: config, seed: seed)
        let data = try PairBatches(pairs: pairs, tokenizer: tokenizer, maxSourceLength: length, maxTargetLength: length)
        print("   \(pairs.count) question–answer pairs such as “\(pairs[1].question)” → “\(pairs[1].answer)”; "
            + "the decoder reads the question through cross-attention. "
            + "Asked every \(askInterval) steps (greedy decoding):")
        let trainer = try Trainer(model: model, data: data, config: TrainingConfig(
            steps: maximumSteps, batchSize: 16, learningRate: 3e-3,
            warmupSteps: WarmupCosineLearningRate.defaultWarmupSteps(totalSteps: maximumSteps), weightDecay: 0, seed: seed))
        var answer = ""
        try trainer.run { progress in
            if progress.step % askInterval == 0 || progress.step == maximumSteps {
                answer = (try? reply(model, tokenizer)) ?? ""
                print(String(format: "   step %4d   loss %.3f   ", progress.step, progress.loss)
                    + "\(question) → \(answer.isEmpty ? "(nothing yet)" : answer)")
            }
            return answer != expected
        }
        print(answer == expected
            ? "   It answers “\(answer)”, as in the training pairs, after \(trainer.step) steps.\n"
            : "   Not there yet after \(trainer.step) steps: “\(answer)” (expected “\(expected)”).\n")
    }

    static func reply(_ model: Seq2Seq, _ tokenizer: CharTokenizer) throws -> String {
        let result = try model.answer(question: tokenizer.encode(question),
                                      options: GenerationOptions(maxNewTokens: 20))
        return try tokenizer.decode(result.tokens)
    }
}

/// Part 3: a small GPT learns to continue Tang poems (or the built-in classical Chinese);
/// generation is shown with what the last layer attends to at each new character, then the poems
/// it writes and how many of their lines have the shape of the corpus's (`PoemShape`).
enum TourNextCharacter {
    static let sampling = "temperature 0.8, top-k 20"
    /// Poems sampled for the shape count, and how many of them are printed.
    static let poemCount = 10, poemsShown = 3

    static func run(_ languageModels: TourLanguageModels) throws -> TourLanguageModelRun {
        tourHeading(3, "Next-character prediction with self-attention")
        let tokenizer = languageModels.tokenizer, steps = languageModels.steps, corpus = languageModels.corpus
        let model = try languageModels.gpt()
        print("   A GPT (\(model.config.nLayer) layers, \(model.config.nHead) heads, width \(model.config.nEmbd), "
            + "\(model.parameterCount) parameters) reads \(corpus.text.utf8.count / 1024) KB of "
            + (corpus.isPoems ? "Tang poems" : "classical Chinese") + " from \(corpus.origin) "
            + "(\(tokenizer.vocabularySize) distinct characters) for \(steps) steps of "
            + "\(TourLanguageModels.batchSize) windows of \(TourLanguageModels.contextLength) characters; validation on "
            + "held-out " + (corpus.isPoems ? "poems:" : "poems and chapters:"))
        let run = try languageModels.train(model, name: "GPT (attention)") { progress in
            if let validation = progress.validationLoss {
                print(String(format: "   step %5d   loss %.3f   validation loss %.3f   %6.0f tokens/s", progress.step,
                             progress.loss, validation, progress.tokensPerSecond))
            }
        }
        let uniform = String(format: "%.3f", Foundation.log(Double(tokenizer.vocabularySize)))
        print(String(format: "   Best validation loss %.3f at step %d", run.best.loss, run.best.step)
            + (run.best.step < steps
                ? " (a uniform guess is \(uniform)); after that the model memorises the corpus faster than it generalises."
                : " (a uniform guess is \(uniform))."))
        try showAttention(model, languageModels)
        if corpus.isPoems { try showPoems(model, languageModels) }
        return run
    }

    /// The model's prompt: the opening line of a poem, or of the Daodejing.
    static func prompt(_ corpus: TourCorpus) -> String { corpus.isPoems ? "白日依山尽，" : "道可道，" }

    /// 16 sampled characters, each with the attention of the last layer that chose it.
    static func showAttention(_ model: GPT, _ languageModels: TourLanguageModels) throws {
        let tokenizer = languageModels.tokenizer, prompt = prompt(languageModels.corpus)
        print("   Generating from “\(prompt)” (sampled: \(sampling)). Red: the new character; blue: the characters"
            + " the last layer attends to when it picks it (darker = stronger); gray: the least attended.")
        var context = prompt.unicodeScalars.map { String($0) }
        let result = try generate(model: model, prompt: tokenizer.encode(prompt), options: GenerationOptions(
            maxNewTokens: 16, sampling: SamplingOptions(temperature: 0.8, topK: 20, seed: languageModels.seed),
            recordAttention: true))
        var written = prompt
        for (token, maps) in zip(result.tokens, result.attention) {
            // A line break of the corpus shown as ↵, so that each step stays on one line.
            let character = try tokenizer.decode([token], showSpecial: true).replacingOccurrences(of: "\n", with: "↵")
            written += character
            let weights = AttentionColouring.weights(maps, layer: maps.count - 1, head: nil)
            print("   " + AttentionColouring.line(context: Array(context.suffix(weights.count)),
                                                  weights: weights, generated: character))
            context.append(character)
        }
        print("   Written: \(written)\n")
    }

    /// Poems sampled from a blank line, as `attn poems` does, and the share of their lines that
    /// have 5 or 7 characters and end with ，/。 in alternation.
    static func showPoems(_ model: GPT, _ languageModels: TourLanguageModels) throws {
        let sampler = try PoemSampler(model: model, tokenizer: languageModels.tokenizer)
        var report = PoemShapeReport()
        print("   \(poemCount) poems, each started from a blank line (sampled: \(sampling), seeds "
            + "\(languageModels.seed) to \(languageModels.seed &+ UInt64(poemCount - 1))); the first \(poemsShown):")
        for index in 0..<poemCount {
            let poem = try sampler.poem(seed: languageModels.seed &+ UInt64(index), temperature: 0.8, topK: 20,
                                        maxCharacters: 100)
            if index < poemsShown {
                for line in poem.split(separator: "\n", omittingEmptySubsequences: false) { print("      " + line) }
                print()
            }
            for lines in PoemShape.poems(in: poem) { report.add(lines) }
        }
        print("   Shape: \(report.wellFormedLineCount) of \(report.lineCount) lines have 5 or 7 characters and end "
            + "with ，/。 in alternation (\(String(format: "%.0f", 100 * report.wellFormedFraction))%), "
            + "\(report.repeatingLineCount) repeat a character three times; the corpus itself scores 99.7% and 33 "
            + "of 408,457. README.md (A model that writes poems): a GPT of width 128 trained for 3,000 steps "
            + "(about 8 minutes) scores 97%.\n")
    }
}

/// Part 4: RNN (GRU) and CNN (causal dilated convolutions) language models trained for as many
/// steps on the same batches as the GPT of part 3, and compared with it.
enum TourComparison {
    static func run(_ languageModels: TourLanguageModels, gpt: TourLanguageModelRun) throws {
        tourHeading(4, "RNN vs CNN vs attention: same corpus, same batches, \(languageModels.steps) steps each")
        let vocabulary = languageModels.tokenizer.vocabularySize, block = TourLanguageModels.contextLength
        let seed = languageModels.seed
        let contenders: [(String, any LanguageModel)] = [
            ("GRU (RNN)", try RecurrentLM(config: RecurrentLMConfig(
                cell: .gru, nLayer: 1, nEmbd: 64, hiddenSize: 128, contextLength: block, vocabularySize: vocabulary), seed: seed)),
            ("causal CNN", try ConvolutionalLM(config: ConvolutionalLMConfig(
                nLayer: 4, nEmbd: 64, kernelSize: 3, contextLength: block, vocabularySize: vocabulary), seed: seed)),
        ]
        print("   " + Terminal.pad("model", to: 18) + Terminal.pad("parameters", to: 12) + Terminal.pad("tokens/s", to: 10)
            + "best validation loss")
        var runs: [TourLanguageModelRun] = []
        for (name, model) in contenders {
            runs.append(try languageModels.train(model, name: name) { _ in })
        }
        for run in runs + [gpt] {
            print("   " + Terminal.pad(run.name, to: 18) + Terminal.pad("\(run.parameterCount)", to: 12)
                + Terminal.pad(String(format: "%.0f", run.tokensPerSecond), to: 10)
                + String(format: "%.3f (step %d)", run.best.loss, run.best.step))
        }
        print("   Lower is better (validation every \(languageModels.evaluationInterval) steps, the best kept: "
            + "early stopping); the GPT is the one of part 3; a uniform guess over \(vocabulary) characters scores "
            + String(format: "%.3f", Foundation.log(Double(vocabulary))) + ".\n")
    }
}

/// The corpus, batches and training of the language models of parts 3 and 4: every model sees
/// the same batches (same seed) with the same schedule for the same number of steps.
struct TourLanguageModels {
    static let contextLength = 32, batchSize = 16
    let corpus: TourCorpus
    let tokenizer: CharTokenizer
    let data: TextBatches
    let steps: Int
    let seed: UInt64
    /// Ten validations per run.
    var evaluationInterval: Int { max(1, steps / 10) }

    /// The peak learning rate: the library's default on the small built-in corpus; higher on the
    /// poems, which a few hundred steps cannot memorise, so that the tour's short run gets further.
    var learningRate: Float { corpus.isPoems ? 3e-3 : TrainCommand.defaultLearningRate }

    init(text: TourCorpus, steps: Int, seed: UInt64) throws {
        corpus = text
        tokenizer = try CharTokenizer(corpus: text.text)
        data = try TextBatches(text: text.text, tokenizer: tokenizer, contextLength: Self.contextLength)
        (self.steps, self.seed) = (steps, seed)
    }

    func gpt() throws -> GPT {
        try GPT(config: GPTConfig(nLayer: 2, nHead: 4, nEmbd: 64, contextLength: Self.contextLength,
                                  vocabularySize: tokenizer.vocabularySize), seed: seed)
    }

    /// Trains `model` at the library's default peak learning rate; `report` sees every step.
    /// Returns the lowest validation loss and the training speed.
    func train(_ model: any LanguageModel, name: String,
               report: @escaping (TrainingProgress) -> Void) throws -> TourLanguageModelRun {
        let trainer = try Trainer(model: model, data: data, config: TrainingConfig(
            steps: steps, batchSize: Self.batchSize, learningRate: learningRate, warmupSteps: WarmupCosineLearningRate.defaultWarmupSteps(totalSteps: steps),
            evaluationInterval: evaluationInterval, seed: seed))
        let started = Date()
        var best = BestValidation()
        try trainer.run { progress in
            best.record(progress)
            report(progress)
            return true
        }
        let tokensPerSecond = Double(steps * Self.batchSize * Self.contextLength) / Date().timeIntervalSince(started)
        return TourLanguageModelRun(name: name, parameterCount: model.parameterCount, best: best,
                                    tokensPerSecond: tokensPerSecond)
    }
}

/// The outcome of one language model's training in the tour.
struct TourLanguageModelRun {
    let name: String
    let parameterCount: Int
    let best: BestValidation
    /// Training tokens per second, validations included.
    let tokensPerSecond: Double
}

/// The lowest validation loss seen during a run (early stopping on a corpus small enough to be
/// memorised).
struct BestValidation {
    private(set) var loss = Float.infinity
    private(set) var step = 0

    mutating func record(_ progress: TrainingProgress) {
        if let validation = progress.validationLoss, validation < loss { (loss, step) = (validation, progress.step) }
    }
}
