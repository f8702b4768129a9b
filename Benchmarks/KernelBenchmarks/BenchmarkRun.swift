import AttentionEngine

/// Runs the selected benchmarks and prints each row as it finishes (a table), or all results as
/// JSON at the end. Shared by `attn-bench` and `attn bench`.
///
/// - Parameters:
///   - suites: suite names (all when empty); an unknown name throws before anything runs.
///   - filter: keep only cases whose name contains this text.
///   - quick: the small shapes only (a smoke run).
///   - json: print JSON (for Benchmarks/compare.py) instead of a table.
public func runBenchmarks(suites: [String], filter: String?, quick: Bool, json: Bool,
                          print output: (String) -> Void = { print($0) }) throws {
    for name in suites where benchmarkSuites[name] == nil {
        throw AttentionError.invalid(
            "unknown benchmark suite '\(name)'; suites: \(benchmarkSuites.keys.sorted().joined(separator: ", "))")
    }
    var results: [BenchmarkResult] = []
    if !json { output(BenchmarkReport.header) }
    for benchmark in benchmarkCases(suites: suites, filter: filter, quick: quick) {
        let result = measure(benchmark)
        results.append(result)
        if !json { output(BenchmarkReport.row(result)) }
    }
    if json { output(BenchmarkReport.json(results)) }
}
