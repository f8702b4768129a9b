import ArgumentParser
import AttentionEngine
import Foundation

/// Sampling options shared by `attn generate`, `attn chat` and `attn attend`.
struct SamplingArguments: ParsableArguments {
    @Option(help: "Sampling temperature; 0 is greedy.") var temperature: Float = 0.8
    @Option(name: .customLong("top-k"), help: "Sample among the K most likely tokens.") var topK: Int?
    @Option(name: .customLong("top-p"), help: "Sample among the most likely tokens whose probabilities add up to P.")
    var topP: Float?
    @Option(help: "Seed of the sampler.") var seed: UInt64 = 1

    var options: SamplingOptions { SamplingOptions(temperature: temperature, topK: topK, topP: topP, seed: seed) }

    func validate() throws {
        do { try options.validate() } catch let error as AttentionError { throw ValidationError(error.message) }
    }
}

/// `--strict`, shared by `attn generate`, `attn chat` and `attn attend`.
struct VocabularyArguments: ParsableArguments {
    @Flag(help: "Refuse text with characters outside the model's vocabulary (default: read them as UNK, with a warning).")
    var strict = false
}

/// The token ids of `text` (called `name` in messages): characters the model never saw are read
/// as UNK with one warning line on stderr, or refused with `strict`.
func encodePrompt(_ text: String, _ tokenizer: CharTokenizer, strict: Bool, naming name: String = "prompt") throws -> [Int32] {
    guard !text.isEmpty else { throw AttentionError.invalid("the \(name) is empty") }
    let encoded = try tokenizer.encode(text, unknown: strict ? .refuse : .readAsUnknown, naming: name)
    if let unknown = encoded.unknownDescription {
        FileHandle.standardError.write(Data("attn: warning: the \(name) has \(unknown) (--strict refuses them)\n".utf8))
    }
    return encoded.ids
}

/// Loads a checkpoint that holds a next-character language model and its tokenizer; `command`
/// and `kinds` name who needs it and which kinds it takes, for the error about any other kind.
func loadLanguageModel(_ path: String, for command: String = "attn generate",
                       kinds: String = "a gpt, rnn or cnn") throws -> (any LanguageModel, CharTokenizer) {
    let checkpoint = try InputFiles.checkpoint(path)
    guard let model = checkpoint.languageModel, let tokenizer = checkpoint.tokenizer else {
        throw AttentionError.invalid("\(path) holds \(kindName(checkpoint.model)); \(command) needs \(kinds) checkpoint")
    }
    return (model, tokenizer)
}

/// "a model of kind rnn": `model`'s kind by its registry name, as the options spell it.
func kindName(_ model: any Module) -> String {
    "a model of kind " + (ModelKinds.describe(model)?.kind.name ?? "\(type(of: model))")
}

/// `attn generate`: continues a prompt, printing characters as they are produced.
struct GenerateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "generate", abstract: "Continue a prompt with a trained language model.")

    @Option(help: "Checkpoint written by attn train (gpt, rnn or cnn).") var model: String
    @Option(help: "Text to continue.") var prompt = "道"
    @Option(help: "Characters to generate.") var tokens = 100
    @OptionGroup var sampling: SamplingArguments
    @OptionGroup var vocabulary: VocabularyArguments
    @Flag(help: "Print one JSON object with the prompt, the text and the token ids.") var json = false

    func validate() throws {
        if !(1...100_000).contains(tokens) { throw ValidationError("--tokens must be from 1 to 100000") }
    }

    func run() throws {
        try reportingErrors {
            let (model, tokenizer) = try loadLanguageModel(self.model)
            let ids = try encodePrompt(prompt, tokenizer, strict: vocabulary.strict)
            let context = try model.makeDecodingContext(cached: true)
            var sampler = try Sampler(sampling.options)
            var generated: [Int32] = []
            if !json { print(prompt, terminator: "") }
            try Autograd.withNoGrad {
                var feed = ids
                while generated.count < tokens {
                    let token = try sampler.sample(context.append(feed))
                    if token == CharTokenizer.eos { break }
                    generated.append(token)
                    if !json {
                        print(try tokenizer.decode([token]), terminator: "")
                        fflush(stdout)
                    }
                    feed = [token]
                }
            }
            if json {
                let text = try tokenizer.decode(generated)
                print(#"{"prompt":\#(jsonString(prompt)),"text":\#(jsonString(text)),"tokens":[\#(generated.map(String.init).joined(separator: ","))]}"#)
            } else {
                print()
            }
        }
    }
}

/// `text` as a JSON string literal.
func jsonString(_ text: String) -> String {
    var result = "\""
    for scalar in text.unicodeScalars {
        switch scalar {
        case "\"": result += "\\\""
        case "\\": result += "\\\\"
        case "\n": result += "\\n"
        case "\r": result += "\\r"
        case "\t": result += "\\t"
        case _ where scalar.value < 0x20: result += String(format: "\\u%04x", scalar.value)
        default: result.unicodeScalars.append(scalar)
        }
    }
    return result + "\""
}

/// `attn chat`: a seq2seq model answers questions, one-shot (--ask) or line by line from stdin.
struct ChatCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "chat", abstract: "Ask a trained seq2seq model questions.")

    @Option(help: "Checkpoint written by attn train --model seq2seq.") var model: String
    @Option(help: "Ask one question and exit.") var ask: String?
    @Option(help: "Sampling temperature; 0 (the default) is greedy.") var temperature: Float = 0
    @Option(help: "Seed of the sampler.") var seed: UInt64 = 1
    @OptionGroup var vocabulary: VocabularyArguments

    func run() throws {
        try reportingErrors {
            let checkpoint = try InputFiles.checkpoint(model)
            guard let seq2seq = checkpoint.model as? Seq2Seq, let tokenizer = checkpoint.tokenizer else {
                throw AttentionError.invalid("\(model) holds \(kindName(checkpoint.model)); attn chat needs a seq2seq checkpoint")
            }
            let options = GenerationOptions(maxNewTokens: seq2seq.config.maxTargetLength,
                                            sampling: SamplingOptions(temperature: temperature, seed: seed))
            func reply(_ question: String) throws -> String {
                let tokens = try encodePrompt(question, tokenizer, strict: vocabulary.strict, naming: "question")
                let longest = seq2seq.config.maxSourceLength
                guard tokens.count <= longest else {
                    throw AttentionError.invalid("the question has \(tokens.count) characters; this model accepts at most \(longest)")
                }
                let result = try seq2seq.answer(question: tokens, options: options)
                return try tokenizer.decode(result.tokens)
            }
            if let ask {
                print(try reply(ask))
                return
            }
            let interactive = Terminal.interactive
            if interactive {
                print("Type a question and press Enter; Ctrl-D or 'exit' quits (at most \(seq2seq.config.maxSourceLength) characters).")
            }
            while true {
                if interactive { print("> ", terminator: ""); fflush(stdout) }
                guard let line = readLine() else {
                    if interactive { print() }  // end the prompt's line after Ctrl-D
                    break
                }
                let question = line.trimmingCharacters(in: .whitespaces)
                if question.isEmpty { continue }
                if question == "exit" || question == "quit" { break }
                do {
                    print(try reply(question))
                } catch let error as AttentionError {
                    FileHandle.standardError.write(Data("attn: \(escapingControlCharacters(error.message))\n".utf8))
                }
            }
        }
    }
}
