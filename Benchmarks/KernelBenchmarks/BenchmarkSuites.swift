/// Every benchmark group, by name. A kernel family adds its group here.
public let benchmarkSuites: [String: (_ quick: Bool) -> [BenchmarkCase]] = [
    "attention": attentionBenchmarks,
    "elementwise": elementwiseBenchmarks,
    "engine": engineBenchmarks,
    "gemm": gemmBenchmarks,
    "safetensors": safeTensorsBenchmarks,
]

/// Cases of the named suites (all suites when `names` is empty), filtered by a substring of the
/// case name.
public func benchmarkCases(suites names: [String], filter: String?, quick: Bool) -> [BenchmarkCase] {
    let selected = names.isEmpty ? benchmarkSuites.keys.sorted() : names
    return selected.flatMap { benchmarkSuites[$0]?(quick) ?? [] }
        .filter { filter == nil || $0.name.contains(filter!) }
}
