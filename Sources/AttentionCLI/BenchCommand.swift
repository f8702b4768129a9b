import ArgumentParser
import AttentionEngine
import KernelBenchmarks

/// `attn bench`: the kernel benchmark table (the same cases and options as `attn-bench`).
struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Time the kernels (median of repeated runs) and print a table or JSON.",
        discussion: "Compare with numpy and PyTorch side by side: python3 Benchmarks/compare.py")

    @Flag(help: "Print JSON instead of a table.") var json = false
    @Flag(help: "Small shapes only: a smoke run of a few seconds.") var quick = false
    @Option(help: "Threads to use (default: OMP_NUM_THREADS or the number of cores).")
    var threads: Int?
    @Option(name: .customLong("suite"), help: "A suite to run (repeatable; default: all).")
    var suites: [String] = []
    @Option(help: "Only cases whose name contains this text.") var filter: String?
    @Option(name: .customLong("case"), help: "Only the case of exactly this name.") var exactName: String?
    @Flag(help: "Print the suite names and exit.") var list = false
    @Flag(help: "Describe the selected cases (as JSON with --json) without timing them.") var listCases = false
    @Option(help: "Timed runs per case (default: chosen per case).") var runs: Int?

    func validate() throws {
        if let threads, !(1...1024).contains(threads) {
            throw ValidationError("--threads must be from 1 to 1024")
        }
        if let runs, !(1...1_000_000).contains(runs) { throw ValidationError("--runs must be from 1 to 1000000") }
    }

    func run() throws {
        if let threads { Parallel.threadCount = threads }
        if list {
            print(benchmarkSuites.keys.sorted().joined(separator: "\n"))
            return
        }
        try reportingErrors {
            try runBenchmarks(suites: suites, filter: filter, exactName: exactName, quick: quick, json: json,
                              listOnly: listCases, runs: runs)
        }
    }
}
