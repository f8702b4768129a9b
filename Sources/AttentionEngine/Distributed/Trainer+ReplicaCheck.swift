#if canImport(Glibc)
import Glibc
#endif

/// The debug check that data-parallel ranks hold the same weights: with ATTN_CHECK_REPLICAS=n
/// in the environment of a job of several ranks, every n-th step compares a hash of every
/// parameter's bits with rank 0's and throws on a rank whose weights differ (under `attn train`
/// that ends the job with the message). Ranks started with different options (seed, sizes) or
/// a non-deterministic reduction would be caught here.
extension Trainer {
    /// ATTN_CHECK_REPLICAS when it is a positive integer, else 0 (no check).
    static let replicaCheckInterval: Int = {
        guard let text = getenv("ATTN_CHECK_REPLICAS").map({ String(cString: $0) }), let n = Int(text), n > 0 else { return 0 }
        return n
    }()

    /// 64-bit FNV-1a over the bit patterns of every parameter, in `module.parameters` order.
    func parameterHash() -> UInt64 {
        var hash: UInt64 = 0xCBF2_9CE4_8422_2325
        for parameter in module.parameters {
            parameter.value.withUnsafeBufferPointer { values in
                for value in values { hash = (hash ^ UInt64(value.bitPattern)) &* 0x100_0000_01B3 }
            }
        }
        return hash
    }

    /// Throws when this rank's weights differ from rank 0's (see the type's comment).
    func checkReplicasIfDue() throws {
        let interval = Self.replicaCheckInterval
        guard world.isDistributed, interval > 0, step % interval == 0 else { return }
        let own = parameterHash()
        var root = own
        try withUnsafeMutableBytes(of: &root) { try world.broadcastFromRoot($0) }
        guard root == own else {
            throw AttentionError.invalid("distributed training: after step \(step) the weights of rank \(world.rank) differ from rank 0's (hash \(String(own, radix: 16)) vs \(String(root, radix: 16)), ATTN_CHECK_REPLICAS); were all ranks started with the same options?")
        }
    }
}
