#if canImport(Glibc)
import Glibc
#else
import Darwin
#endif

/// Where the time of a training step goes: an opt-in per-op timing of the tape.
///
/// While `StepProfile.measure` runs its body on the calling thread, the step is cut into
/// consecutive intervals, each charged to one category, so the categories add up to the whole
/// step by construction:
/// - every recorded op charges the time since the previous mark to "<op> forward" (its kernel,
///   its output's allocation and the layer code that led to it);
/// - `backward()` charges the topological sort to "tape: sort" and each node's backward to
///   "<op> backward", less the two tape costs carved out of it: allocating and zeroing gradient
///   buffers ("tape: gradient buffers") and adding a second contribution into a gradient
///   ("tape: gradient accumulation");
/// - the trainer marks its own phases (zeroing gradients, clipping, AdamW).
///
/// An op that reads a parameter is named after the parameter's layer, with layer indices
/// dropped (`transformer.h.2.mlp.c_fc.weight` → "linear mlp.c_fc"), so the table shows the GEMMs
/// and norms per layer kind. When no profile runs, the hooks cost a thread-local read per op.
///
///     let (_, profile) = try StepProfile.measure(naming: gpt) { try trainer.step(loss) }
///     for entry in profile.entries { print(entry.category, entry.seconds) }
public final class StepProfile {
    /// The time of one category over the measured body.
    public struct Entry: Sendable {
        public let category: String
        /// Number of intervals charged to it (ops, nodes or phases).
        public let calls: Int
        public let seconds: Double
    }

    /// Categories in the order they first occurred.
    public var entries: [Entry] {
        order.map { Entry(category: $0, calls: totals[$0]!.calls, seconds: Double(totals[$0]!.nanoseconds) * 1e-9) }
    }

    /// Wall-clock seconds of the measured body: the sum of all entries.
    public var totalSeconds: Double { entries.reduce(0) { $0 + $1.seconds } }

    /// Runs `body` with the profile on for the calling thread and returns its result and the
    /// profile. Parameters of `module` (if given) name the `linear` ops. Profiles do not nest:
    /// an inner `measure` on the same thread times its body alone.
    public static func measure<R>(naming module: (any Module)? = nil, _ body: () throws -> R) rethrows
        -> (result: R, profile: StepProfile) {
        let profile = StepProfile()
        for (name, parameter) in module?.namedParameters ?? [] {
            if let node = parameter.value.node { profile.layerNames[ObjectIdentifier(node)] = layerKind(of: name) }
        }
        let outer = current
        current = profile
        defer { current = outer }
        profile.last = now()
        let result = try body()
        profile.mark("other")
        return (result, profile)
    }

    // MARK: - Hooks (internal)

    /// The profile of the calling thread, nil when none runs.
    package internal(set) static var current: StepProfile? {
        get { slot.value }
        // `measure` keeps the profile alive while it is current.
        set { slot.value = newValue }
    }

    /// Charges the time since the previous mark (less what was carved out of it) to `category`.
    func mark(_ category: String) {
        let time = StepProfile.now()
        add(time - min(last + carved, time), to: category)
        last = time
        carved = 0
    }

    /// Runs `body` and charges its time to `category` instead of the interval it falls in.
    func carve<R>(_ category: String, _ body: () throws -> R) rethrows -> R {
        let start = StepProfile.now()
        let result = try body()
        let elapsed = StepProfile.now() - start
        add(elapsed, to: category)
        carved += elapsed
        return result
    }

    /// The category of a recorded op: its name, followed by the layer kind of its first input
    /// that is a named parameter (a weight), if any.
    func category(op: StaticString, inputs: [Tensor]) -> String {
        for input in inputs {
            if let node = input.node, let layer = layerNames[ObjectIdentifier(node)] { return "\(op) \(layer)" }
        }
        return op.description
    }

    /// "transformer.h.2.mlp.c_fc.weight" → "mlp.c_fc": the parameter's module path without
    /// the model's root, layer indices and the parameter's own name.
    package static func layerKind(of parameterName: String) -> String {
        let parts = parameterName.split(separator: ".").dropLast()
            .filter { $0 != "transformer" && $0 != "h" && !$0.allSatisfy(\.isNumber) }
        return parts.isEmpty ? parameterName : parts.joined(separator: ".")
    }

    // MARK: - State

    private var totals: [String: (calls: Int, nanoseconds: UInt64)] = [:]
    private var order: [String] = []
    private var layerNames: [ObjectIdentifier: String] = [:]
    private var last: UInt64 = 0
    private var carved: UInt64 = 0

    private init() {}

    private func add(_ nanoseconds: UInt64, to category: String) {
        if totals[category] == nil { order.append(category) }
        totals[category, default: (0, 0)].calls += 1
        totals[category, default: (0, 0)].nanoseconds += nanoseconds
    }

    private static let slot = ThreadLocalReference<StepProfile>()

    private static func now() -> UInt64 {
        var time = timespec()
        clock_gettime(CLOCK_MONOTONIC, &time)
        return UInt64(time.tv_sec) * 1_000_000_000 + UInt64(time.tv_nsec)
    }
}
