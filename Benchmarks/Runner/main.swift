import AttentionEngine
import Foundation
import KernelBenchmarks

// attn-bench: times the kernels and prints a table, or JSON with --json.
//
//   attn-bench [--json] [--quick] [--threads N] [--suite NAME]... [--filter TEXT]

var arguments = Array(CommandLine.arguments.dropFirst())
var json = false
var quick = false
var suites: [String] = []
var filter: String?
while !arguments.isEmpty {
    let argument = arguments.removeFirst()
    switch argument {
    case "--json": json = true
    case "--quick": quick = true
    case "--threads":
        guard let value = arguments.first.flatMap(Int.init), value >= 1 else {
            FileHandle.standardError.write(Data("attn-bench: --threads needs a positive number\n".utf8))
            exit(2)
        }
        arguments.removeFirst()
        Parallel.threadCount = value
    case "--suite" where !arguments.isEmpty: suites.append(arguments.removeFirst())
    case "--filter" where !arguments.isEmpty: filter = arguments.removeFirst()
    case "--list":
        print(benchmarkSuites.keys.sorted().joined(separator: "\n"))
        exit(0)
    default:
        FileHandle.standardError.write(Data("""
            usage: attn-bench [--json] [--quick] [--threads N] [--suite NAME]... [--filter TEXT] [--list]

            """.utf8))
        exit(2)
    }
}
for name in suites where benchmarkSuites[name] == nil {
    FileHandle.standardError.write(Data("attn-bench: unknown suite '\(name)' (see --list)\n".utf8))
    exit(2)
}
var results: [BenchmarkResult] = []
if !json { print(BenchmarkReport.header) }
for benchmark in benchmarkCases(suites: suites, filter: filter, quick: quick) {
    let result = measure(benchmark)
    results.append(result)
    if !json { print(BenchmarkReport.row(result)) }
}
if json { print(BenchmarkReport.json(results)) }
