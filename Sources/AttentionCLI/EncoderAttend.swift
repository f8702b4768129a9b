import ArgumentParser
import AttentionEngine
import Foundation

/// `attn attend --model DIR --text TEXT`: what a pretrained encoder's self-attention looks at.
/// One line per layer (or the one of --layer): the text's tokens coloured by how strongly the
/// chosen token (--token, default 0 = [CLS]) attends to each, for --head or the mean over heads;
/// --html/--svg draw every layer × head as full (bidirectional) matrices.
extension AttendCommand {
    func runEncoder(text: String) throws {
        for path in [html, svg].compactMap({ $0 }) { try InputFiles.checkWritable(path) }
        let encoder = try EncoderSupport.load(model)
        let config = encoder.config
        if let layer, !(0..<config.layerCount).contains(layer) {
            throw AttentionError.invalid("--layer \(layer) is outside 0..<\(config.layerCount)")
        }
        if let head, !(0..<config.headCount).contains(head) {
            throw AttentionError.invalid("--head \(head) is outside 0..<\(config.headCount)")
        }
        EncoderSupport.noteTruncation([text], encoder, what: "text")
        let (ids, maps) = try encoder.attention(text)
        let query = token ?? 0
        guard (0..<ids.count).contains(query) else {
            throw AttentionError.invalid("--token \(query) is outside 0..<\(ids.count) (the text has \(ids.count) tokens with [CLS] and [SEP])")
        }
        let labels = encoder.tokenizer.tokens(ids)
        print("attention of token \(query) \(labels[query]), " + (head.map { "head \($0)" } ?? "mean over \(config.headCount) heads")
              + (Terminal.colour ? "; blue: attended (darker = stronger), gray: least" : ""))
        let context = labels.enumerated().map { $0.offset == 0 ? $0.element : " " + $0.element }
        for map in maps where layer == nil || map.layer == layer {
            let heads = head.map { [$0] } ?? Array(0..<map.heads)
            var row = [Float](repeating: 0, count: map.keyLength)
            for h in heads {
                for (j, weight) in map.rows(head: h)[query].enumerated() { row[j] += weight / Float(heads.count) }
            }
            print("layer \(map.layer): " + AttentionColouring.line(context: context, weights: row, generated: labels[query]))
        }
        if html != nil || svg != nil {
            let image = AttentionHeatmap.svg(maps: maps, labels: labels, causal: false)
            if let svg { try LossPlot.write(image, to: svg) }
            if let html {
                try LossPlot.write("""
                    <!doctype html><meta charset="utf-8"><title>attention: \(LossPlot.escape(text))</title>
                    <body style="font-family:sans-serif"><h2>Self-attention of every layer and head (\(LossPlot.escape(model)))</h2>
                    <p>Row: the query token; column: the token it attends to; darker = stronger.</p>
                    \(image)</body>
                    """, to: html)
            }
        }
    }
}
