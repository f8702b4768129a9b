// swift-tools-version:6.1
import Foundation
import PackageDescription

// Swift SIMD code is only fast when the compiler may use the CPU's vector units: without a target
// CPU a SIMD16 FMA kernel compiles to scalar `fmaf` calls (~100x slower). `native` is the default;
// set ATTN_TARGET_CPU (e.g. `haswell` for AVX2 machines) for a portable build.
let targetCPU = Context.environment["ATTN_TARGET_CPU"] ?? "native"

// The GEMM micro-kernel keeps a 6×32 tile of SIMD16 accumulators in AVX-512's 32 registers; on
// AVX2 (16 registers) that tile spills, so AVX2 targets build the SIMD8 tile (condition ATTN_SIMD8).
let avx512CPUs: Set<String> = [
    "skylake-avx512", "cascadelake", "cooperlake", "cannonlake", "icelake-client", "icelake-server",
    "tigerlake", "rocketlake", "sapphirerapids", "graniterapids", "emeraldrapids", "znver4",
    "znver5", "x86-64-v4",
]
let targetHasAVX512: Bool = {
    if targetCPU == "native" {
        let cpuinfo = (try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8)) ?? ""
        return cpuinfo.contains(" avx512f")
    }
    return avx512CPUs.contains(targetCPU)
}()

// The engine is always optimized, even in a debug build, so tests exercise the real kernels at
// usable speed. `-Ounchecked` drops the arithmetic-overflow traps from the hot loops; every value
// that comes from outside is validated explicitly before it reaches a kernel.
let engineSwiftSettings: [SwiftSetting] = [
    .unsafeFlags(["-target-cpu", targetCPU, "-Ounchecked"]),
] + (targetHasAVX512 ? [] : [.define("ATTN_SIMD8")])

let package = Package(
    name: "libattention",
    products: [
        .library(name: "attention", type: .dynamic, targets: ["AttentionCAPI"]),
        .library(name: "AttentionEngine", targets: ["AttentionEngine"]),
        .executable(name: "attn", targets: ["AttentionCLI"]),
        .executable(name: "attn-bench", targets: ["AttentionBenchmarks"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
    ],
    targets: [
        // The public C ABI: include/attention.h, exposed to Swift as the module `CAttention` so
        // that every `@c @implementation` export is checked against its C prototype.
        .systemLibrary(name: "CAttention", path: "include"),
        // Tiny C shim: OpenMP parallel-for, thread count, and the thread-local last error.
        .target(
            name: "CAttentionShims",
            cSettings: [.unsafeFlags(["-fopenmp", "-O2"])],
            linkerSettings: [.linkedLibrary("omp5")]
        ),
        .target(
            name: "AttentionEngine",
            dependencies: ["CAttentionShims"],
            // The default data is compiled into the library, so every host has it without files.
            resources: [
                .embedInCode("Data/classical-chinese.txt"),
                .embedInCode("Data/dialogue-pairs.tsv"),
            ],
            swiftSettings: engineSwiftSettings
        ),
        .target(
            name: "AttentionCAPI",
            dependencies: ["AttentionEngine", "CAttention", "CAttentionShims"],
            swiftSettings: [.unsafeFlags(["-target-cpu", targetCPU, "-O"])]
        ),
        .executableTarget(
            name: "AttentionCLI",
            dependencies: [
                "AttentionEngine",
                "KernelBenchmarks",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .target(
            name: "KernelBenchmarks",
            dependencies: ["AttentionEngine"],
            path: "Benchmarks/KernelBenchmarks",
            swiftSettings: engineSwiftSettings
        ),
        .executableTarget(
            name: "AttentionBenchmarks",
            dependencies: ["AttentionEngine", "KernelBenchmarks"],
            path: "Benchmarks/Runner",
            swiftSettings: engineSwiftSettings
        ),
        .testTarget(
            name: "AttentionEngineTests",
            dependencies: ["AttentionEngine"],
            exclude: ["Fixtures"],
            swiftSettings: [.unsafeFlags(["-target-cpu", targetCPU])]
        ),
    ],
    swiftLanguageModes: [.v5]
)
