#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A guard against sizes from outside (a model config, a batch size, a text length) that would
/// make the engine allocate more than the machine has: Swift traps when an allocation fails
/// ("Fatal error: failed to allocate …"), so such a request must be refused, as
/// `AttentionError(.outOfMemory, …)`, before anything is allocated. The C ABI, the trainer and
/// the CLI all go through it, so they refuse the same requests with the same message.
///
/// The budget is half of the physical memory: estimates are rough (activations are counted
/// per token), and the other half leaves room for the host and for what the estimate misses.
public enum MemoryBudget {
    /// Physical memory of the machine in bytes.
    public static let physicalBytes: Double = Double(sysconf(Int32(_SC_PHYS_PAGES))) * Double(sysconf(Int32(_SC_PAGESIZE)))

    /// Throws `.outOfMemory` "<what> would need about N MB, more than half of …" when `floats` 4-byte values (an
    /// estimate computed in Double, so it cannot overflow) exceed half of the physical memory.
    public static func require(floats: Double, for what: String) throws {
        let bytes = floats * 4
        guard bytes.isFinite, bytes <= physicalBytes / 2 else {
            let needed = bytes.isFinite && bytes < 1e18 ? "about \(Int(bytes / 1e6)) MB" : "more than 10^18 bytes"
            throw AttentionError(.outOfMemory,
                                 "\(what) would need \(needed), more than half of this machine's \(Int(physicalBytes / 1e6)) MB (the limit)")
        }
    }

    /// Floats of activations per token that a forward and backward pass of `model` keeps:
    /// logits and their gradient (2V), plus 64 values of the widest state per layer. Zero for
    /// a module that is not a registered model kind.
    public static func activationFloatsPerToken(of model: any Module) -> Double {
        guard let config = ModelKinds.describe(model)?.config else { return 0 }
        func value(_ key: String) -> Double { config[key].flatMap(Double.init) ?? 0 }
        let layers = value("n_layer") + value("n_encoder_layer") + value("n_decoder_layer")
        return value("vocab_size") * 2 + layers * 64 * max(value("n_embd"), value("hidden_size"))
    }

    /// Throws `.outOfMemory` when a batch of `tokens` tokens through `model` would not fit.
    public static func requireActivations(of model: any Module, tokens: Double, for what: String) throws {
        try require(floats: tokens * activationFloatsPerToken(of: model), for: what)
    }
}
