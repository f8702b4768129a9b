import Foundation

/// What the terminal can show: colour (ANSI, 24-bit) unless NO_COLOR is set, the output is not a
/// terminal, or TERM is "dumb"; and the display width of text, where CJK characters and most
/// emoji take two columns.
enum Terminal {
    /// Whether standard output gets ANSI colours.
    static let colour: Bool = {
        let environment = ProcessInfo.processInfo.environment
        if environment["NO_COLOR"].map({ !$0.isEmpty }) ?? false { return false }
        if environment["TERM"] == "dumb" { return false }
        return isatty(STDOUT_FILENO) != 0
    }()

    /// Whether standard output is an interactive terminal (progress lines redraw in place).
    static let interactive: Bool = isatty(STDOUT_FILENO) != 0

    /// `text` in the 24-bit foreground colour (r, g, b), bold when asked; plain without colour.
    static func paint(_ text: String, _ rgb: (Int, Int, Int), bold: Bool = false) -> String {
        guard colour else { return text }
        return "\u{1B}[\(bold ? "1;" : "")38;2;\(rgb.0);\(rgb.1);\(rgb.2)m\(text)\u{1B}[0m"
    }

    /// Columns `text` occupies in a terminal.
    static func displayWidth(_ text: String) -> Int {
        text.unicodeScalars.reduce(0) { $0 + columns($1) }
    }

    /// `text` padded with spaces to `width` columns (CJK-aware).
    static func pad(_ text: String, to width: Int) -> String {
        text + String(repeating: " ", count: max(0, width - displayWidth(text)))
    }

    private static func columns(_ scalar: Unicode.Scalar) -> Int {
        let v = scalar.value
        if v == 0 || (0x300...0x36F).contains(v) || v == 0x200D || (0xFE00...0xFE0F).contains(v) { return 0 }
        let wide: [ClosedRange<UInt32>] = [
            0x1100...0x115F, 0x2E80...0x303E, 0x3041...0x33FF, 0x3400...0x4DBF, 0x4E00...0x9FFF,
            0xA000...0xA4CF, 0xAC00...0xD7A3, 0xF900...0xFAFF, 0xFE30...0xFE4F, 0xFF00...0xFF60,
            0xFFE0...0xFFE6, 0x1F300...0x1F64F, 0x1F900...0x1F9FF, 0x20000...0x3FFFD,
        ]
        return wide.contains { $0.contains(v) } ? 2 : 1
    }
}
