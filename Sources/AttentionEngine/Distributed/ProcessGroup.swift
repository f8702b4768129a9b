import CAttentionShims
#if canImport(Glibc)
import Glibc
#endif

/// The processes of a data-parallel training job: this process's rank and the number of ranks.
///
/// Under an MPI launcher (`mpirun -np N attn train …`) the world is MPI's COMM_WORLD, reached
/// through Open MPI loaded at run time (the C shim's `mpi_runtime.c`); otherwise it is this
/// process alone (rank 0 of 1), and no MPI library is needed or touched.
///
///     let world = try ProcessGroup.world()
///     if world.isRoot { print("rank 0 of \(world.size)") }
public final class ProcessGroup: Sendable {
    /// This process's rank, 0..<size.
    public let rank: Int
    /// The number of processes in the job.
    public let size: Int
    /// Seconds a rank waits for another at a reduction before the job is aborted with a message
    /// (ATTN_MPI_TIMEOUT, default 600).
    public let timeoutSeconds: Double

    /// Rank 0, the process that prints progress and writes checkpoints.
    public var isRoot: Bool { rank == 0 }
    /// True when gradients must be summed across processes.
    public var isDistributed: Bool { size > 1 }

    private init(rank: Int, size: Int, timeoutSeconds: Double) {
        self.rank = rank
        self.size = size
        self.timeoutSeconds = timeoutSeconds
    }

    /// This process alone.
    public static let single = ProcessGroup(rank: 0, size: 1, timeoutSeconds: 600)

    /// The job this process belongs to: MPI's world under an MPI launcher, else `single`.
    /// Throws under a launcher when the MPI library cannot be loaded or initialized.
    public static func world() throws -> ProcessGroup {
        guard attn_shim_mpi_launched() != 0 else { return single }
        var rank: Int32 = 0, size: Int32 = 1
        var error = [CChar](repeating: 0, count: 1024)
        guard attn_shim_mpi_init(&rank, &size, &error, error.count) == 0 else {
            throw AttentionError.invalid("distributed training: " + String(cString: error))
        }
        return ProcessGroup(rank: Int(rank), size: Int(size), timeoutSeconds: timeoutFromEnvironment())
    }

    /// ATTN_MPI_TIMEOUT in seconds when it is a positive number, else 600.
    private static func timeoutFromEnvironment() -> Double {
        guard let text = getenv("ATTN_MPI_TIMEOUT").map({ String(cString: $0) }),
              let seconds = Double(text), seconds > 0, seconds.isFinite else { return 600 }
        return seconds
    }

    /// How long a wait for another rank polls without pause before it polls every 100 µs.
    public static let busyWaitSeconds = 0.01

    /// True when MPI may be called from a communication thread (MPI_THREAD_SERIALIZED or more,
    /// which this process requests; a host that initialized MPI itself may have asked for less),
    /// or in a single process.
    public var allowsCommunicationThread: Bool {
        !isDistributed || attn_shim_mpi_thread_level() >= 2
    }

    /// Replaces `values` (the same count on every rank) by their sum over ranks, added in rank
    /// order, so every rank gets the same bits whatever the timing. Each element is summed on its
    /// own: summing a buffer in several parts gives the same bits. A wait for another rank polls
    /// without pause for `busyWaitSeconds`, then every 100 µs (0 for a communication thread
    /// beside computation).
    public func sumInRankOrder(_ values: UnsafeMutableBufferPointer<Float>, busyWaitSeconds: Double = busyWaitSeconds) throws {
        guard isDistributed, let base = values.baseAddress else { return }
        var error = [CChar](repeating: 0, count: 1024)
        guard attn_shim_mpi_sum_in_rank_order(base, Int64(values.count), timeoutSeconds, busyWaitSeconds,
                                              &error, error.count) == 0 else {
            throw AttentionError.invalid("distributed training: " + String(cString: error))
        }
    }

    /// Replaces `bytes` on every rank by rank 0's (the same count on every rank).
    public func broadcastFromRoot(_ bytes: UnsafeMutableRawBufferPointer) throws {
        guard isDistributed, let base = bytes.baseAddress else { return }
        var error = [CChar](repeating: 0, count: 1024)
        guard attn_shim_mpi_broadcast(base, Int64(bytes.count), 0, timeoutSeconds, &error, error.count) == 0 else {
            throw AttentionError.invalid("distributed training: " + String(cString: error))
        }
    }

    /// Ends every process of the job with `code` (a rank that fails alone must not leave the
    /// others waiting); does nothing in a single process.
    public func abortJob(code: Int32) {
        if isDistributed { attn_shim_mpi_abort(code) }
    }

    /// The rows of a global batch of `globalRows` this rank trains on: the contiguous
    /// `globalRows / size` rows starting at `rank × globalRows / size`.
    public func shard(ofRows globalRows: Int) -> Range<Int> {
        let perRank = globalRows / size
        return rank * perRank..<(rank + 1) * perRank
    }
}
