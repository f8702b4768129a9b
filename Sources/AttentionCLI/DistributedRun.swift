import ArgumentParser
import AttentionEngine
import Foundation

/// `attn train` under `mpirun`: every rank trains, only rank 0 talks and writes files, and a rank
/// that fails ends the whole job (the others would otherwise wait for it at the next step).
enum DistributedRun {
    /// Runs `body` in the process group `world`. On ranks other than 0, standard output goes to
    /// /dev/null (progress, logs and the summary come from rank 0; errors still reach stderr).
    /// When `body` throws in a job of several ranks, the error is printed with the rank and the
    /// job is aborted.
    static func run(in world: ProcessGroup, _ body: () throws -> Void) throws {
        if !world.isRoot {
            let null = open("/dev/null", O_WRONLY)
            if null >= 0 { dup2(null, STDOUT_FILENO); close(null) }
        }
        do {
            try body()
        } catch {
            guard world.isDistributed, !(error is ExitCode) else { throw error }
            let message = (error as? AttentionError)?.message ?? "\(error)"
            FileHandle.standardError.write(Data("attn: rank \(world.rank) of \(world.size): \(escapingControlCharacters(message)); ending the job\n".utf8))
            world.abortJob(code: 1)
            throw error
        }
    }
}
