// swift-tools-version:6.1
import PackageDescription

// Swift SIMD code is only fast when the compiler may use the CPU's vector units: without a target
// CPU a SIMD16 FMA kernel compiles to scalar `fmaf` calls (~100x slower). The library is built
// for a baseline every supported host has, AVX2 + FMA (`haswell`), and chooses its attention and
// GEMM micro-kernels at run time (KernelISA): they are generic `@inlinable` code in
// AttentionKernels, specialised in one small module per instruction set, each built for its own
// CPU. ATTN_TARGET_CPU (e.g. `native`) raises the baseline for a build that only runs on this
// kind of host.
let baselineCPU = Context.environment["ATTN_TARGET_CPU"] ?? "haswell"

// The engine is always optimized, even in a debug build, so tests exercise the real kernels at
// usable speed. `-Ounchecked` drops the arithmetic-overflow traps from the hot loops; every value
// that comes from outside is validated explicitly before it reaches a kernel.
func kernelSwiftSettings(cpu: String) -> [SwiftSetting] {
    [.unsafeFlags(["-target-cpu", cpu, "-Ounchecked"])]
}
let engineSwiftSettings = kernelSwiftSettings(cpu: baselineCPU)

// The linker version script that keeps every symbol but attn_* out of libattention.so's exports.
let exportMap = Context.packageDirectory + "/Sources/AttentionCAPI/libattention.map"

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
        // Tiny C shim: OpenMP parallel-for, thread count, and the thread-local last error. Its
        // attn_shim_* functions are hidden: internal to whatever links it, never exported by
        // libattention.so (whose version script exports attn_*).
        .target(
            name: "CAttentionShims",
            cSettings: [.unsafeFlags(["-fopenmp", "-O2", "-fvisibility=hidden"])],
            linkerSettings: [.linkedLibrary("omp5")]
        ),
        // The SIMD kernels as generics over the vector type (baseline CPU), and their
        // specialisations for AVX2 (SIMD8, `haswell`) and AVX-512 (SIMD16, `skylake-avx512`:
        // F/CD/BW/DQ/VL, which KernelISA checks before calling it).
        .target(name: "AttentionKernels", dependencies: ["CAttentionShims"], swiftSettings: engineSwiftSettings),
        .target(
            name: "AttentionKernelsAVX2",
            dependencies: ["AttentionKernels"],
            swiftSettings: kernelSwiftSettings(cpu: "haswell")
        ),
        .target(
            name: "AttentionKernelsAVX512",
            dependencies: ["AttentionKernels"],
            swiftSettings: kernelSwiftSettings(cpu: "skylake-avx512")
        ),
        .target(
            name: "AttentionEngine",
            dependencies: [
                "CAttentionShims", "AttentionKernels", "AttentionKernelsAVX2", "AttentionKernelsAVX512",
            ],
            // The default data is compiled into the library, so every host has it without files.
            resources: [
                .embedInCode("Data/classical-chinese.txt"),
                .embedInCode("Data/dialogue-pairs.tsv"),
            ],
            swiftSettings: engineSwiftSettings
        ),
        // libattention.so exports only the attn_* functions of the C ABI (a linker version
        // script; the settings reach the link of the `attention` product, the only one that
        // contains this target). Linked by lld: gold leaves the hidden Swift metadata in .dynsym
        // (as LOCAL entries) wherever a GLOB_DAT relocation refers to it.
        .target(
            name: "AttentionCAPI",
            dependencies: ["AttentionEngine", "CAttention", "CAttentionShims"],
            exclude: ["libattention.map"],
            swiftSettings: [.unsafeFlags(["-target-cpu", baselineCPU, "-O"])],
            linkerSettings: [.unsafeFlags(["-use-ld=lld", "-Xlinker", "--version-script=\(exportMap)"])]
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
            swiftSettings: [.unsafeFlags(["-target-cpu", baselineCPU])]
        ),
    ],
    swiftLanguageModes: [.v5]
)
