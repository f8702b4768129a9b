import ArgumentParser
import AttentionEngine
import Foundation

/// `attn attend`: generation shown the way an illustrated explainer shows self-attention — one
/// line per new character, coloured by what the model attended to — and an optional heatmap of
/// every layer and head.
struct AttendCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "attend", abstract: "Show which earlier characters a GPT attends to while it generates.",
        discussion: "With --text and a pretrained encoder folder as --model: what each layer attends to from one token.")

    @Option(help: "GPT checkpoint written by attn train.") var model: String
    @Option(help: "Text to continue (GPT checkpoint).") var prompt: String?
    // Pretrained encoders (EncoderAttend.swift).
    @Option(help: "Text for a pretrained encoder folder given as --model.") var text: String?
    @Option(help: "With --text: the token whose attention is shown (0-based; default 0, [CLS]).") var token: Int?
    @Option(help: "Characters to generate.") var tokens = 12
    @Option(help: "Layer to show (0-based; default: the last).") var layer: Int?
    @Option(help: "Head to show (0-based; default: the mean over heads).") var head: Int?
    @Flag(help: "Average over heads (the default unless --head is given).") var mean = false
    @Option(help: "Write a heatmap of every layer × head as an HTML page.") var html: String?
    @Option(help: "Write the same heatmap as an SVG image.") var svg: String?
    @OptionGroup var sampling: SamplingArguments
    @OptionGroup var vocabulary: VocabularyArguments

    func validate() throws {
        if (prompt == nil) == (text == nil) { throw ValidationError("give --prompt (GPT checkpoint) or --text (encoder folder)") }
        if token != nil && text == nil { throw ValidationError("--token needs --text") }
        if mean && head != nil { throw ValidationError("give --head or --mean, not both") }
        if !(0...1000).contains(tokens) { throw ValidationError("--tokens must be from 0 to 1000") }
    }

    func run() throws {
        try reportingErrors {
            if let text { return try runEncoder(text: text) }
            guard let prompt else { return }
            for path in [html, svg].compactMap({ $0 }) { try InputFiles.checkWritable(path) }
            let needs = (command: "attn attend --prompt", kinds: "a gpt")
            let (languageModel, tokenizer) = try loadLanguageModel(model, for: needs.command, kinds: needs.kinds)
            guard let gpt = languageModel as? GPT else {
                throw AttentionError.invalid("\(model) holds \(kindName(languageModel)); \(needs.command) needs \(needs.kinds) checkpoint")
            }
            let layer = self.layer ?? gpt.config.nLayer - 1
            guard (0..<gpt.config.nLayer).contains(layer) else {
                throw AttentionError.invalid("--layer \(layer) is outside 0..<\(gpt.config.nLayer)")
            }
            if let head, !(0..<gpt.config.nHead).contains(head) {
                throw AttentionError.invalid("--head \(head) is outside 0..<\(gpt.config.nHead)")
            }
            let ids = try encodePrompt(prompt, tokenizer, strict: vocabulary.strict)
            guard ids.count + tokens <= gpt.config.contextLength else {
                throw AttentionError.invalid("prompt and --tokens together exceed the model's block size \(gpt.config.contextLength)")
            }
            let result = try generate(model: gpt, prompt: ids, options: GenerationOptions(
                maxNewTokens: tokens, sampling: sampling.options, recordAttention: true))
            print("layer \(layer), " + (head.map { "head \($0)" } ?? "mean over \(gpt.config.nHead) heads")
                + (Terminal.colour ? "; red: new character, blue: attended (darker = stronger), gray: least"
                    : "; each line: the context with each attention weight of at least 10% after its character, an arrow, the new character"))
            var context = prompt.unicodeScalars.map { String($0) }
            for (token, maps) in zip(result.tokens, result.attention) {
                let character = try tokenizer.decode([token], showSpecial: true)
                let weights = AttentionColouring.weights(maps, layer: layer, head: head)
                print(AttentionColouring.line(context: Array(context.suffix(weights.count)), weights: weights,
                                              generated: character))
                context.append(character)
            }
            if html != nil || svg != nil {
                let all = ids + result.tokens.filter { $0 != CharTokenizer.eos }
                let maps = try gpt.inspectAttention(prompt: Array(all.prefix(gpt.config.contextLength)))
                let labels = try all.map { try tokenizer.decode([$0], showSpecial: true) }
                let image = AttentionHeatmap.svg(maps: maps, labels: labels)
                if let svg { try LossPlot.write(image, to: svg) }
                if let html {
                    try LossPlot.write("""
                        <!doctype html><meta charset="utf-8"><title>attention: \(LossPlot.escape(prompt))</title>
                        <body style="font-family:sans-serif"><h2>Self-attention of every layer and head</h2>
                        <p>Row: the query character; column: the character it attends to; darker = stronger.</p>
                        \(image)</body>
                        """, to: html)
                }
            }
        }
    }
}

/// A grid of attention matrices, layers down and heads across, as one SVG.
enum AttentionHeatmap {
    /// `causal`: draw only the lower triangle (a query sees no later token).
    static func svg(maps: [AttentionMap], labels: [String], causal: Bool = true) -> String {
        let n = maps.first?.queryLength ?? 0, heads = maps.first?.heads ?? 0
        let cell = 14, margin = 30, panel = n * cell + margin + 10
        let width = heads * panel + margin, height = maps.count * panel + margin
        var svg = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(width)\" height=\"\(height)\" font-size=\"10\" font-family=\"sans-serif\">\n"
        for (l, map) in maps.enumerated() {
            for h in 0..<heads {
                let x0 = margin + h * panel, y0 = margin + l * panel
                svg += "<text x=\"\(x0)\" y=\"\(y0 - 18)\">layer \(l) head \(h)</text>\n"
                for (i, row) in map.rows(head: h).enumerated() {
                    for (j, weight) in row.enumerated() where !causal || j <= i {
                        svg += "<rect x=\"\(x0 + j * cell)\" y=\"\(y0 + i * cell)\" width=\"\(cell)\" height=\"\(cell)\" "
                            + String(format: "fill=\"#1f4fb4\" fill-opacity=\"%.3f\"/>\n", weight)
                    }
                }
                for (i, label) in labels.prefix(n).enumerated() {
                    let text = LossPlot.escape(label)
                    svg += "<text x=\"\(x0 - 12)\" y=\"\(y0 + i * cell + 11)\">\(text)</text>"
                    svg += "<text x=\"\(x0 + i * cell + 2)\" y=\"\(y0 - 4)\">\(text)</text>\n"
                }
            }
        }
        return svg + "</svg>\n"
    }
}
