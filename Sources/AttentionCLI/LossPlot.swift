import AttentionEngine
import Foundation

/// A loss curve as a standalone SVG: training loss per step (blue line) and validation loss
/// (orange dots), with labelled axes.
enum LossPlot {
    static func svg(training: [(step: Int, loss: Float)], validation: [(step: Int, loss: Float)],
                    title: String) -> String {
        let width = 720.0, height = 420.0, left = 60.0, right = 20.0, top = 40.0, bottom = 50.0
        let all = (training + validation).filter { $0.loss.isFinite }
        // Axes from tick to tick, the ticks on round values (1, 2 or 5 × 10^k).
        let stepTicks = ticks(from: 0, to: Double(max(all.map(\.step).max() ?? 1, 5)))  // whole steps
        let lossTicks = ticks(from: Double(all.map(\.loss).min() ?? 0), to: Double(all.map(\.loss).max() ?? 1))
        let maxStep = stepTicks.values.last!
        let low = lossTicks.values.first!, high = lossTicks.values.last!
        let span = high - low
        func x(_ step: Double) -> Double { left + step / maxStep * (width - left - right) }
        func x(_ step: Int) -> Double { x(Double(step)) }
        func y(_ loss: Float) -> Double { top + (high - Double(loss)) / span * (height - top - bottom) }
        var svg = """
            <svg xmlns="http://www.w3.org/2000/svg" width="\(Int(width))" height="\(Int(height))" font-family="sans-serif" font-size="12">
            <rect width="100%" height="100%" fill="white"/>
            <text x="\(Int(width / 2))" y="22" text-anchor="middle" font-size="15">\(escape(title))</text>
            <line x1="\(left)" y1="\(height - bottom)" x2="\(width - right)" y2="\(height - bottom)" stroke="black"/>
            <line x1="\(left)" y1="\(top)" x2="\(left)" y2="\(height - bottom)" stroke="black"/>
            <text x="\(Int(width / 2))" y="\(Int(height - 12))" text-anchor="middle">step</text>
            <text x="16" y="\(Int(height / 2))" transform="rotate(-90 16 \(Int(height / 2)))" text-anchor="middle">loss</text>

            """
        for value in lossTicks.values {
            let ty = y(Float(value))
            let label = String(format: "%.\(lossTicks.decimals)f", value)
            svg += "<text x=\"\(left - 6)\" y=\"\(ty + 4)\" text-anchor=\"end\">\(label)</text>\n"
            svg += "<line x1=\"\(left)\" y1=\"\(ty)\" x2=\"\(width - right)\" y2=\"\(ty)\" stroke=\"#eee\"/>\n"
        }
        for step in stepTicks.values {
            svg += "<text x=\"\(x(step))\" y=\"\(height - bottom + 16)\" text-anchor=\"middle\">\(Int(step))</text>\n"
        }
        let points = training.filter { $0.loss.isFinite }.map { String(format: "%.1f,%.1f", x($0.step), y($0.loss)) }
        svg += "<polyline fill=\"none\" stroke=\"#3570c0\" stroke-width=\"1.5\" points=\"\(points.joined(separator: " "))\"/>\n"
        for point in validation where point.loss.isFinite {
            svg += String(format: "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"3.5\" fill=\"#e07020\"/>\n", x(point.step), y(point.loss))
        }
        svg += "<text x=\"\(width - right - 150)\" y=\"\(top + 10)\" fill=\"#3570c0\">— training loss</text>\n"
        svg += "<text x=\"\(width - right - 150)\" y=\"\(top + 26)\" fill=\"#e07020\">● validation loss</text>\n"
        return svg + "</svg>\n"
    }

    /// About five ticks covering low…high, spaced by 1, 2 or 5 × 10^k, from the last multiple of
    /// the spacing at or below `low` to the first at or above `high`; `decimals` shows the
    /// spacing exactly.
    static func ticks(from low: Double, to high: Double) -> (values: [Double], decimals: Int) {
        let span = max(high - low, abs(high) * 1e-3, 1e-6)
        let rough = span / 5, magnitude = pow(10, floor(log10(rough)))
        let spacing = [1.0, 2, 5, 10].map { $0 * magnitude }.first { $0 >= rough } ?? 10 * magnitude
        let first = floor(low / spacing), last = max(ceil(high / spacing), first + 1)
        let values = stride(from: first, through: last, by: 1).map { $0 * spacing }
        return (values, max(0, -Int(floor(log10(spacing) + 1e-9))))
    }

    static func escape(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;")
    }

    /// Writes `text` to `path` atomically.
    static func write(_ text: String, to path: String) throws {
        try AtomicFile.replace(path) { try $0.write(Array(text.utf8)) }
    }
}
