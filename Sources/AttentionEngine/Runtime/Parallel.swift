import CAttentionShims

/// Data-parallel loops on the OpenMP pool of the C shim.
///
/// Kernels parallelise their outermost loop with `Parallel.forEachChunk` and keep inner loops
/// serial and SIMD. Chunk boundaries depend on the thread count, so a kernel must make every
/// output element's value independent of the chunk it lands in (no cross-chunk reductions);
/// that is what makes results bitwise identical for any thread count.
public enum Parallel {
    /// Number of threads used by parallel loops (OMP_NUM_THREADS or the core count by default).
    public static var threadCount: Int {
        get { Int(attn_shim_get_num_threads()) }
        set { attn_shim_set_num_threads(Int32(clamping: newValue)) }
    }

    /// Calls `body` on contiguous sub-ranges covering `0..<count`, in parallel when `count`
    /// exceeds `grain` (the smallest chunk worth a thread) and more than one thread is set.
    /// `body` must be safe to run concurrently on disjoint ranges.
    @inlinable
    public static func forEachChunk(_ count: Int, grain: Int, _ body: (Range<Int>) -> Void) {
        if count <= 0 { return }
        if count <= grain || threadCount == 1 {
            body(0..<count)
            return
        }
        withoutActuallyEscaping(body) { body in
            var closure = body
            withUnsafeMutablePointer(to: &closure) { closurePointer in
                attn_shim_parallel_for(Int64(count), Int64(max(grain, 1)), closurePointer) {
                    context, begin, end in
                    let body = context!.assumingMemoryBound(to: ((Range<Int>) -> Void).self)
                    body.pointee(Int(begin)..<Int(end))
                }
            }
        }
    }

    /// The grain (items per chunk) that gives each chunk about `targetWork` units when one item
    /// costs `itemWork` units (e.g. flops). Computed in Double, so sizes near `Int.max` cannot
    /// overflow; at least 1.
    @inlinable
    public static func grain(itemWork: Double, targetWork: Double) -> Int {
        guard itemWork > 0 else { return Int.max }
        return max(1, Int(min(targetWork / itemWork, 1e15)))
    }
}
