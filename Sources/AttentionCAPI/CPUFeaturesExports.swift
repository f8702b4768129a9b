import AttentionEngine
import CAttention
import Foundation

// attn_cpu_features: the kernel set in use and the CPU's vector features (KernelISA).

/// "kernels=<isa> cpu=<feature>,<feature>...", NUL-terminated, built once and never freed.
private let cpuFeaturesLine: UnsafeMutablePointer<CChar> = {
    let line = "kernels=\(KernelISA.active) cpu=\(CPUFeatures.current.names.joined(separator: ","))"
    guard let copy = strdup(line) else { fatalError("attn_cpu_features: out of memory") }
    return copy
}()

@c @implementation
public func attn_cpu_features() -> UnsafePointer<CChar>? {
    UnsafePointer(cpuFeaturesLine)
}
