import AttentionEngine
import Foundation
import KernelBenchmarks

// attn-bench: times the kernels and prints a table, or JSON with --json (what compare.py reads).
//
//   attn-bench [--json] [--quick] [--threads N] [--suite NAME]... [--filter TEXT] [--case NAME]
//              [--list] [--list-cases] [--runs N]

func fail(_ message: String) -> Never {
    FileHandle.standardError.write(Data("attn-bench: \(message)\n".utf8))
    exit(2)
}

var arguments = Array(CommandLine.arguments.dropFirst())
var json = false
var quick = false
var suites: [String] = []
var filter: String?
var exactName: String?
var listCases = false
var runs: Int?
while !arguments.isEmpty {
    let argument = arguments.removeFirst()
    switch argument {
    case "--json": json = true
    case "--quick": quick = true
    case "--threads":
        guard let value = arguments.first.flatMap(Int.init), (1...1024).contains(value) else {
            fail("--threads needs a number from 1 to 1024")
        }
        arguments.removeFirst()
        Parallel.threadCount = value
    case "--suite" where !arguments.isEmpty: suites.append(arguments.removeFirst())
    case "--filter" where !arguments.isEmpty: filter = arguments.removeFirst()
    case "--case" where !arguments.isEmpty: exactName = arguments.removeFirst()
    case "--list-cases": listCases = true
    case "--runs":
        guard let value = arguments.first.flatMap(Int.init), (1...1_000_000).contains(value) else {
            fail("--runs needs a number from 1 to 1000000")
        }
        arguments.removeFirst()
        runs = value
    case "--list":
        print(benchmarkSuites.keys.sorted().joined(separator: "\n"))
        exit(0)
    default:
        fail("usage: attn-bench [--json] [--quick] [--threads N] [--suite NAME]... [--filter TEXT] [--case NAME] [--list] [--list-cases] [--runs N]")
    }
}
do {
    try runBenchmarks(suites: suites, filter: filter, exactName: exactName, quick: quick, json: json,
                      listOnly: listCases, runs: runs)
} catch {
    fail("\(error)")
}
