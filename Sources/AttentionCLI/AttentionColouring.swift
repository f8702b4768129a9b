import AttentionEngine

/// Renders one step of generation the way an illustrated explainer of attention does: the
/// character being generated in red, the characters before it in shades of blue by how strongly
/// the new position attends to them, the least attended in gray.
///
/// Without colour (NO_COLOR, not a terminal) each earlier character is followed by its weight in
/// percent when that is at least 10 %, so the line still says what the model looked at.
enum AttentionColouring {
    /// - Parameters:
    ///   - context: the characters the model has seen, oldest first.
    ///   - weights: one weight per context character (a row of attention probabilities).
    ///   - generated: the character produced at this step.
    static func line(context: [String], weights: [Float], generated: String) -> String {
        let strongest = max(weights.max() ?? 0, 1e-6)
        var text = ""
        for (character, weight) in zip(context, weights) {
            let strength = Double(weight / strongest)  // 0 ... 1 relative to this step's maximum
            if Terminal.colour {
                if strength < 0.15 {
                    text += Terminal.paint(character, (128, 128, 128))
                } else {
                    // Light blue for weak, deep saturated blue for the strongest.
                    let shade = (Int(170 - 150 * strength), Int(200 - 140 * strength), 255)
                    text += Terminal.paint(character, shade, bold: strength > 0.6)
                }
            } else {
                text += character
                if weight >= 0.1 { text += "(\(Int((weight * 100).rounded()))%)" }
            }
        }
        let arrow = Terminal.colour ? " " : " → "
        return text + arrow + Terminal.paint(generated, (230, 30, 30), bold: true)
    }

    /// The attention row that predicted the newest token, from the maps recorded at one
    /// generation step: the last query of `layer` (`head`, or the mean over heads when nil).
    static func weights(_ maps: [AttentionMap], layer: Int, head: Int?) -> [Float] {
        let map = maps[min(layer, maps.count - 1)]
        let heads = head.map { [$0] } ?? Array(0..<map.heads)
        var row = [Float](repeating: 0, count: map.keyLength)
        for h in heads {
            let last = map.rows(head: h)[map.queryLength - 1]
            for j in row.indices { row[j] += last[j] / Float(heads.count) }
        }
        return row
    }
}
