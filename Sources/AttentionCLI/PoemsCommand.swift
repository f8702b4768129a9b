import ArgumentParser
import AttentionEngine
import Foundation

/// `attn poems`: how poem-shaped a model's poems (or a text file) are — the measure of issue 15
/// for a model trained on data/tang-poems.txt (see `PoemShape` for the rules).
struct PoemsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "poems",
        abstract: "Sample poems from a language model (or read a text) and check their shape.",
        discussion: """
            A line passes when it has exactly 5 or 7 characters and ends with ，/。 in alternation \
            (， on the first line of each couplet); lines with one character three times in a row \
            are counted apart. Poem i is sampled with seed --first-seed + i from a blank line, until \
            the next blank line or --max-characters.
            """)

    @Option(help: "Checkpoint written by attn train (gpt, rnn or cnn) on poems one per paragraph.") var model: String?
    @Option(help: "Check this UTF-8 text file instead of sampling (poems separated by blank lines).") var text: String?
    @Option(help: "Poems to sample.") var count = 50
    @Option(help: "Seed of the first poem; poem i uses seed first-seed + i.") var firstSeed: UInt64 = 1
    @Option(help: "Sampling temperature.") var temperature: Float = 0.8
    @Option(help: "The most characters one poem may have.") var maxCharacters = 200
    @Option(help: "Least share of well-formed lines for success (exit status 1 below it, or with any repeating line).")
    var threshold: Double?
    @Flag(help: "Print the sampled poems.") var show = false
    @Flag(help: "Print one JSON object with the counts.") var json = false

    func validate() throws {
        guard (model == nil) != (text == nil) else { throw ValidationError("give exactly one of --model and --text") }
        if !(1...10_000).contains(count) { throw ValidationError("--count must be from 1 to 10000") }
        if !(1...10_000).contains(maxCharacters) { throw ValidationError("--max-characters must be from 1 to 10000") }
        if firstSeed > UInt64.max - UInt64(count) { throw ValidationError("--first-seed + --count must fit in 64 bits") }
        if !(temperature.isFinite && temperature > 0) { throw ValidationError("--temperature must be a positive number") }
        if let threshold, !(0...1).contains(threshold) { throw ValidationError("--threshold must be from 0 to 1") }
    }

    func run() throws {
        var passed = true
        try reportingErrors {
            let report: PoemShapeReport
            if let text {
                report = PoemShape.check(try InputFiles.text(text))
            } else if let model {
                let (languageModel, tokenizer) = try loadLanguageModel(model, for: "attn poems")
                let sampler = try PoemSampler(model: languageModel, tokenizer: tokenizer)
                var total = PoemShapeReport()
                for index in 0..<count {
                    let poem = try sampler.poem(seed: firstSeed + UInt64(index), temperature: temperature,
                                                maxCharacters: maxCharacters)
                    if show { print(poem + "\n") }
                    for lines in PoemShape.poems(in: poem) { total.add(lines) }
                }
                report = total
            } else {
                return
            }
            print(json ? Self.json(report) : Self.summary(report))
            if let threshold { passed = report.passes(wellFormedFraction: threshold) }
        }
        if !passed { throw ExitCode(1) }
    }

    static func summary(_ report: PoemShapeReport) -> String {
        String(format: "%d poems, %d lines: %d well formed (%.1f%%), %d repeat a character three times",
               report.poemCount, report.lineCount, report.wellFormedLineCount, 100 * report.wellFormedFraction,
               report.repeatingLineCount)
    }

    static func json(_ report: PoemShapeReport) -> String {
        String(format: #"{"poems":%d,"lines":%d,"well_formed_lines":%d,"well_formed_fraction":%.4f,"repeating_lines":%d}"#,
               report.poemCount, report.lineCount, report.wellFormedLineCount, report.wellFormedFraction,
               report.repeatingLineCount)
    }
}

/// Samples one poem at a time from a language model trained on poems separated by blank lines:
/// the model is given a blank line and writes until the next one.
struct PoemSampler {
    /// What precedes every poem of the corpus.
    static let start = "\n\n"
    let model: any LanguageModel
    let tokenizer: CharTokenizer
    let startIDs: [Int32]

    init(model: any LanguageModel, tokenizer: CharTokenizer) throws {
        let encoded = try tokenizer.encode(Self.start, unknown: .refuse, naming: "poem start")
        (self.model, self.tokenizer, startIDs) = (model, tokenizer, encoded.ids)
    }

    /// The text of one poem, without the blank lines around it.
    func poem(seed: UInt64, temperature: Float, topK: Int? = nil, maxCharacters: Int) throws -> String {
        let context = try model.makeDecodingContext(cached: true)
        var sampler = try Sampler(SamplingOptions(temperature: temperature, topK: topK, seed: seed))
        var text = ""
        try Autograd.withNoGrad {
            var feed = startIDs
            for _ in 0..<maxCharacters {
                let token = try sampler.sample(context.append(feed))
                if token == CharTokenizer.eos { break }
                text += try tokenizer.decode([token])
                // Line breaks before the first line are part of the poem's start, not of the poem.
                if text.allSatisfy(\.isNewline) { text = "" }
                if text.hasSuffix("\n\n") { break }
                feed = [token]
            }
        }
        return text.trimmingCharacters(in: .newlines)
    }
}
