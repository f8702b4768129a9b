import Foundation

/// A communication thread that sums the buckets of a distributed step across ranks while the
/// backward pass runs on the calling thread: the trainer marks a bucket ready once all its
/// gradients are final and packed, and the thread sums the buckets strictly in their index order
/// (`ProcessGroup.sumInRankOrder`, the same algorithm as the sum after backward), so every rank
/// sends the same messages in the same order whatever the timing. One thread per step: started
/// by `init`, ended by `waitUntilSummed` or `cancel`.
///
/// MPI is called from this thread only while it runs; the shim serialises MPI calls, and the
/// trainer requires MPI_THREAD_SERIALIZED or more (`ProcessGroup.allowsCommunicationThread`).
final class BucketSumThread: @unchecked Sendable {
    private let world: ProcessGroup
    /// The buffer the buckets are ranges of (`GradientBuckets.bufferRanges`).
    private let buffer: UnsafeMutablePointer<Float>
    private let ranges: [Range<Int>]
    /// Guards everything below; the thread waits on it for the next bucket.
    private let condition = NSCondition()
    private var ready: [Bool]
    private var backwardEnded = false
    private var cancelled = false
    private var finished = false
    private var failure: Error?
    /// Seconds this thread spent inside the sums (sending, receiving, adding, waiting for peers).
    private var communicationSeconds = 0.0

    /// Starts the thread; it sums `ranges` of `buffer` (which must outlive it) as they are
    /// marked ready.
    init(world: ProcessGroup, buffer: UnsafeMutablePointer<Float>, ranges: [Range<Int>]) {
        self.world = world
        self.buffer = buffer
        self.ranges = ranges
        ready = [Bool](repeating: false, count: ranges.count)
        let thread = Thread { [self] in sumBuckets() }
        thread.name = "attention.gradient-sum"
        thread.start()
    }

    /// The bucket at `index` is packed: the thread may sum it once the buckets before it are.
    func markReady(_ index: Int) {
        condition.lock()
        ready[index] = true
        condition.signal()
        condition.unlock()
    }

    /// Backward has ended: the buckets not yet started poll their peers without pause (the
    /// computing thread now only waits), as the sum after backward does.
    func markBackwardEnded() {
        condition.lock()
        backwardEnded = true
        condition.unlock()
    }

    /// Waits until every bucket is summed; returns the seconds the thread spent summing.
    /// Throws the sum's error (MPI failed; a peer that does not answer aborts the job instead).
    func waitUntilSummed() throws -> Double {
        condition.lock()
        while !finished { condition.wait() }
        let (failure, seconds) = (self.failure, communicationSeconds)
        condition.unlock()
        if let failure { throw failure }
        return seconds
    }

    /// Stops after the bucket being summed (when backward failed) and waits for the thread.
    func cancel() {
        condition.lock()
        cancelled = true
        condition.signal()
        while !finished { condition.wait() }
        condition.unlock()
    }

    private func sumBuckets() {
        for (index, range) in ranges.enumerated() {
            condition.lock()
            while !ready[index] && !cancelled { condition.wait() }
            let (stop, busyWaitSeconds) = (cancelled, backwardEnded ? ProcessGroup.busyWaitSeconds : 0)
            condition.unlock()
            if stop { break }
            let started = DispatchTime.now().uptimeNanoseconds
            do {
                try world.sumInRankOrder(UnsafeMutableBufferPointer(start: buffer + range.lowerBound, count: range.count),
                                         busyWaitSeconds: busyWaitSeconds)
            } catch {
                condition.lock()
                failure = error
                condition.unlock()
                break
            }
            let seconds = Double(DispatchTime.now().uptimeNanoseconds - started) * 1e-9
            condition.lock()
            communicationSeconds += seconds
            condition.unlock()
        }
        condition.lock()
        finished = true
        condition.broadcast()
        condition.unlock()
    }
}
