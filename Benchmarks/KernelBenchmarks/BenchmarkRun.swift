import AttentionEngine

/// Runs the selected benchmarks and prints each row as it finishes (a table), or all results as
/// JSON at the end. Shared by `attn-bench` and `attn bench`.
///
/// - Parameters:
///   - suites: suite names (all when empty); an unknown name throws before anything runs.
///   - filter: keep only cases whose name contains this text.
///   - exactName: keep only the case with exactly this name.
///   - quick: the small shapes only (a smoke run).
///   - json: print JSON (for Benchmarks/compare.py) instead of a table.
///   - listOnly: print the selected cases' descriptors as JSON instead of timing them.
///   - runs: time exactly this many calls after the warm-up (>= 1), instead of at least 5 calls
///     and 0.25 s: a fixed amount of work, for counting cycles (`Benchmarks/cycles.py`).
public func runBenchmarks(suites: [String], filter: String?, exactName: String? = nil, quick: Bool,
                          json: Bool, listOnly: Bool = false, runs: Int? = nil,
                          print output: (String) -> Void = { print($0) }) throws {
    for name in suites where benchmarkSuites[name] == nil {
        throw AttentionError.invalid(
            "unknown benchmark suite '\(name)'; suites: \(benchmarkSuites.keys.sorted().joined(separator: ", "))")
    }
    let cases = benchmarkCases(suites: suites, filter: filter, exactName: exactName, quick: quick)
    if listOnly {
        output(BenchmarkReport.json(cases.map {
            BenchmarkDescriptor(suite: $0.suite, name: $0.benchmark.name, kind: $0.benchmark.kind,
                                parameters: $0.benchmark.parameters)
        }))
        return
    }
    var results: [BenchmarkResult] = []
    if !json {
        output("\(CPUFeatures.summary), \(Parallel.threadCount) threads")
        output(BenchmarkReport.header)
    }
    for (suite, benchmark) in cases {
        let result = runs.map { measure(benchmark, suite: suite, minimumRuns: $0, minimumSeconds: 0) }
            ?? measure(benchmark, suite: suite)
        results.append(result)
        if !json {
            output(BenchmarkReport.row(result))
            benchmark.details?().forEach(output)
        }
    }
    if json { output(BenchmarkReport.json(results)) }
}
