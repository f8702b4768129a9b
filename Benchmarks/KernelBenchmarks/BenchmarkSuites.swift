/// Every benchmark group, by name. A kernel family adds its group here.
public let benchmarkSuites: [String: (_ quick: Bool) -> [BenchmarkCase]] = [
    "attention": attentionBenchmarks,
    "checkpoint": checkpointBenchmarks,
    "decode": decodeBenchmarks,
    "elementwise": elementwiseBenchmarks,
    "encoder": encoderBenchmarks,
    "engine": engineBenchmarks,
    "gemm": gemmBenchmarks,
    "lm-compare": languageModelComparison,
    "models": modelBenchmarks,
    "peak": peakBenchmarks,
    "safetensors": safeTensorsBenchmarks,
]

/// Cases of the named suites (all suites when `names` is empty) with their suite's name,
/// filtered by a substring of the case name, or by the exact name.
public func benchmarkCases(suites names: [String], filter: String?, exactName: String? = nil,
                           quick: Bool) -> [(suite: String, benchmark: BenchmarkCase)] {
    let selected = names.isEmpty ? benchmarkSuites.keys.sorted() : names
    return selected.flatMap { suite in (benchmarkSuites[suite]?(quick) ?? []).map { (suite, $0) } }
        .filter { filter == nil || $0.benchmark.name.contains(filter!) }
        .filter { exactName == nil || $0.benchmark.name == exactName! }
}
