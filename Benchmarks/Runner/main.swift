import AttentionEngine
import Foundation
import KernelBenchmarks

// attn-bench: times the kernels and prints a table, or JSON with --json (what compare.py reads).
//
//   attn-bench [--json] [--quick] [--threads N] [--suite NAME]... [--filter TEXT] [--list]

func fail(_ message: String) -> Never {
    FileHandle.standardError.write(Data("attn-bench: \(message)\n".utf8))
    exit(2)
}

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
        guard let value = arguments.first.flatMap(Int.init), (1...1024).contains(value) else {
            fail("--threads needs a number from 1 to 1024")
        }
        arguments.removeFirst()
        Parallel.threadCount = value
    case "--suite" where !arguments.isEmpty: suites.append(arguments.removeFirst())
    case "--filter" where !arguments.isEmpty: filter = arguments.removeFirst()
    case "--list":
        print(benchmarkSuites.keys.sorted().joined(separator: "\n"))
        exit(0)
    default:
        fail("usage: attn-bench [--json] [--quick] [--threads N] [--suite NAME]... [--filter TEXT] [--list]")
    }
}
do {
    try runBenchmarks(suites: suites, filter: filter, quick: quick, json: json)
} catch {
    fail("\(error)")
}
