import AttentionEngine
import Foundation

/// One benchmark case: a kernel call on fixed shapes, timed as the median of several runs.
///
/// `kind` and `parameters` are what `Benchmarks/compare.py` needs to run the same computation in
/// numpy or PyTorch: each kind has a reference module `Benchmarks/references/<kind>.py`.
public struct BenchmarkCase {
    public let name: String
    public let kind: String
    /// Shape and options, e.g. ["m": 512, "n": 512, "k": 512, "trans_a": 0, "trans_b": 0].
    public let parameters: [String: Int]
    /// Floating-point operations of one call (0 when the kernel is memory-bound).
    public let flops: Double
    /// Bytes one call must read and write at least (0 when the kernel is compute-bound).
    public let bytes: Double
    /// Performs one call. Buffers are allocated when the case is built, outside the timing.
    public let run: () -> Void
    /// Lines printed under the case's row in the table (not in JSON), computed after its timing:
    /// e.g. where the time of a training step goes (ModelBenchmarks.swift). Nil for none.
    public let details: (() -> [String])?

    public init(name: String, kind: String, parameters: [String: Int], flops: Double = 0,
                bytes: Double = 0, details: (() -> [String])? = nil, run: @escaping () -> Void) {
        self.name = name
        self.kind = kind
        self.parameters = parameters
        self.flops = flops
        self.bytes = bytes
        self.details = details
        self.run = run
    }
}

/// What a case computes, without timing it (`attn-bench --list-cases`).
public struct BenchmarkDescriptor: Codable {
    public let suite: String
    public let name: String
    public let kind: String
    public let parameters: [String: Int]
}

/// The timing of one case.
public struct BenchmarkResult: Codable {
    public let suite: String
    public let name: String
    public let kind: String
    public let parameters: [String: Int]
    public let threads: Int
    /// The kernel set that ran (`KernelISA.active`: "avx2" or "avx512").
    public let kernels: String
    public let medianSeconds: Double
    public let gflops: Double?
    public let gbPerSecond: Double?
}

/// Times `benchmark`: one warm-up call, then calls until at least `minimumRuns` runs and
/// `minimumSeconds` have passed; reports the median (robust on a shared, noisy machine).
public func measure(_ benchmark: BenchmarkCase, suite: String, minimumRuns: Int = 5,
                    minimumSeconds: Double = 0.25) -> BenchmarkResult {
    benchmark.run()
    var times: [Double] = []
    let start = DispatchTime.now().uptimeNanoseconds
    while times.count < minimumRuns
        || Double(DispatchTime.now().uptimeNanoseconds - start) * 1e-9 < minimumSeconds {
        let t0 = DispatchTime.now().uptimeNanoseconds
        benchmark.run()
        times.append(Double(DispatchTime.now().uptimeNanoseconds - t0) * 1e-9)
        if times.count >= 1000 { break }
    }
    times.sort()
    let median = times[times.count / 2]
    return BenchmarkResult(
        suite: suite, name: benchmark.name, kind: benchmark.kind, parameters: benchmark.parameters,
        threads: Parallel.threadCount, kernels: KernelISA.active.rawValue, medianSeconds: median,
        gflops: benchmark.flops > 0 ? benchmark.flops / median * 1e-9 : nil,
        gbPerSecond: benchmark.bytes > 0 ? benchmark.bytes / median * 1e-9 : nil)
}

/// A buffer of `count` floats filled with a fixed pseudo-random pattern in [-1, 1), kept alive
/// for the life of the process (benchmarks own their buffers).
public func benchmarkBuffer(_ count: Int, seed: UInt64 = 1) -> UnsafeMutablePointer<Float> {
    let buffer = UnsafeMutablePointer<Float>.allocate(capacity: max(count, 1))
    var state = seed &* 0x9E37_79B9_7F4A_7C15 | 1
    for i in 0..<count {
        state ^= state << 13
        state ^= state >> 7
        state ^= state << 17
        buffer[i] = Float(state >> 40) / Float(1 << 23) - 1
    }
    return buffer
}
