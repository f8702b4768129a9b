import Foundation

/// The one progress bar of the CLI (train, embed, search), in tqdm's layout:
///
///     train  45%|██████████▌             | 90/200 [00:12<00:15, 7.3k tok/s] loss 2.310
///     train 100%|█████████████████████████| 200/200 [00:27, 7.2k tok/s] loss 1.804
///
/// It redraws in place on a terminal, fits the terminal's width (dropping the extra fields, then
/// the rate and the counter, when narrow, so the line never wraps), and ends with the elapsed
/// time and the rate. On anything but a terminal it draws nothing: callers print plain lines.
final class ProgressBar {
    /// Whether the bar is drawn (its stream is a terminal and the caller wants it).
    let visible: Bool
    private let label: String
    private let descriptor: Int32
    private let start = Date()
    private var lastDraw = Date.distantPast
    private var drawnOnce = false

    /// A bar named `label` on `descriptor` (STDOUT_FILENO or STDERR_FILENO), drawn when that is
    /// a terminal and `wanted`.
    init(label: String, descriptor: Int32, wanted: Bool = true) {
        self.label = label
        self.descriptor = descriptor
        visible = wanted && isatty(descriptor) != 0
    }

    /// Seconds since the bar was made.
    var elapsed: Double { Date().timeIntervalSince(start) }

    /// Redraws (at most ten times a second) for `fraction` done (0…1); `counter` is e.g.
    /// "90/200", `rate` e.g. "7.3k tok/s", `fields` the extras shown after the bracket while
    /// they fit.
    func update(fraction: Double, counter: String, rate: String, fields: [String] = []) {
        guard visible, !drawnOnce || Date().timeIntervalSince(lastDraw) >= 0.1 || fraction >= 1 else { return }
        lastDraw = Date()
        drawnOnce = true
        let remaining = fraction > 0 ? max(0, elapsed / fraction - elapsed) : nil
        let timing = "\(Self.clock(elapsed))<\(remaining.map(Self.clock) ?? "?")"
        draw(fraction: fraction, counter: counter, timing: timing, rate: rate, fields: fields)
    }

    /// Draws the final state — the elapsed time and the rate instead of an estimate — and ends
    /// the line. Nothing when the bar is not visible.
    func finish(fraction: Double, counter: String, rate: String, fields: [String] = []) {
        guard visible else { return }
        draw(fraction: fraction, counter: counter, timing: Self.clock(elapsed), rate: rate, fields: fields)
        write("\n")
    }

    private func draw(fraction: Double, counter: String, timing: String, rate: String, fields: [String]) {
        let fraction = min(1, max(0, fraction.isFinite ? fraction : 0))
        let width = Self.columns(of: descriptor) - 1  // the last column would make some terminals wrap
        let left = "\(label) " + String(format: "%3d%%", Int(fraction * 100)) + "|"
        var rights: [String] = []
        for kept in stride(from: fields.count, through: 0, by: -1) {
            let extra = fields.prefix(kept).joined(separator: " ")
            rights.append("| \(counter) [\(timing), \(rate)]" + (extra.isEmpty ? "" : " " + extra))
        }
        rights += ["| \(counter) [\(timing)]", "| [\(timing)]"]
        let minimumBar = 10
        let line: String
        if let right = rights.first(where: { Terminal.displayWidth(left + $0) + minimumBar <= width }) {
            let barWidth = width - Terminal.displayWidth(left + right)
            line = left + Self.blocks(fraction, width: barWidth) + right
        } else {
            line = String(String(format: "%3d%% [%@]", Int(fraction * 100), timing).prefix(max(0, width)))
        }
        write("\r" + line + "\u{1B}[K")
    }

    private func write(_ text: String) {
        let bytes = Array(text.utf8)
        bytes.withUnsafeBytes { buffer in
            var offset = 0
            while offset < buffer.count {
                let written = Foundation.write(descriptor, buffer.baseAddress! + offset, buffer.count - offset)
                if written <= 0 { return }
                offset += written
            }
        }
    }

    /// `fraction` of `width` columns in block characters, with eighths at the edge.
    static func blocks(_ fraction: Double, width: Int) -> String {
        let eighths = Int(fraction * Double(width) * 8)
        let full = min(width, eighths / 8)
        let partials = ["", "▏", "▎", "▍", "▌", "▋", "▊", "▉"]
        let edge = full < width ? partials[eighths % 8] : ""
        let used = full + (edge.isEmpty ? 0 : 1)
        return String(repeating: "█", count: full) + edge + String(repeating: " ", count: width - used)
    }

    /// `seconds` as mm:ss, or h:mm:ss from an hour on.
    static func clock(_ seconds: Double) -> String {
        let total = Int(seconds.isFinite ? max(0, seconds) : 0)
        let (hours, minutes, rest) = (total / 3600, total / 60 % 60, total % 60)
        return hours > 0 ? String(format: "%d:%02d:%02d", hours, minutes, rest) : String(format: "%02d:%02d", minutes, rest)
    }

    /// `value` per second with an SI prefix, e.g. "7.3k tok/s".
    static func rate(_ value: Double, unit: String) -> String {
        guard value.isFinite, value >= 0 else { return "? \(unit)/s" }
        if value >= 1e6 { return String(format: "%.1fM %@/s", value / 1e6, unit) }
        if value >= 1e3 { return String(format: "%.1fk %@/s", value / 1e3, unit) }
        return String(format: "%.1f %@/s", value, unit)
    }

    /// The terminal's width in columns: the window size of `descriptor`, else $COLUMNS, else 80.
    static func columns(of descriptor: Int32) -> Int {
        var size = winsize()
        if ioctl(descriptor, UInt(TIOCGWINSZ), &size) == 0, size.ws_col > 0 { return Int(size.ws_col) }
        return ProcessInfo.processInfo.environment["COLUMNS"].flatMap { Int($0) }.flatMap { $0 > 0 ? $0 : nil } ?? 80
    }
}
