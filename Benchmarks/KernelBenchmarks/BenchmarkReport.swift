import Foundation

/// Printing results as an aligned table (for people) or JSON (for compare.py).
public enum BenchmarkReport {
    public static let header = pad("benchmark", 40) + pad("threads", 8) + pad("median ms", 12) + "rate"

    public static func table(_ results: [BenchmarkResult]) -> String {
        ([header] + results.map(row)).joined(separator: "\n")
    }

    public static func row(_ result: BenchmarkResult) -> String {
        var rate = ""
        if let gflops = result.gflops { rate = String(format: "%8.1f GFLOP/s", gflops) }
        if let gbps = result.gbPerSecond { rate = String(format: "%8.1f GB/s", gbps) }
        return pad(result.name, 40) + pad(String(result.threads), 8)
            + pad(String(format: "%.4f", result.medianSeconds * 1e3), 12) + rate
    }

    public static func json<T: Encodable>(_ results: [T]) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        encoder.keyEncodingStrategy = .convertToSnakeCase
        let data = (try? encoder.encode(results)) ?? Data("[]".utf8)
        return String(decoding: data, as: UTF8.self)
    }

    private static func pad(_ text: String, _ width: Int) -> String {
        text.count >= width ? text + " " : text + String(repeating: " ", count: width - text.count)
    }
}
