/// How a distributed step's gradients are laid out for the sum across ranks, and cut into the
/// buckets that are summed while the backward pass still runs (as PyTorch DDP does).
///
/// The flat buffer holds, in `module.parameters` order, each parameter's weighted gradient
/// n_r·g_r, then one has-gradient flag per parameter, then n_r and n_r·loss_r:
///
///     | gradients (gradientCount) | flags (parameterCount) | n_r | n_r·loss_r |
///
/// Buckets take the parameters from the last to the first (backward finishes the last layers
/// first), each bucket closing once it holds at least `bucketBytes` of gradients (a parameter is
/// never split), so a bucket is a contiguous range of the buffer. The last bucket is the tail of
/// flags and counts, known only when backward has ended. The layout depends on the parameter
/// sizes and `bucketBytes` only: every rank cuts the same buckets and sums them in the same
/// order. Since the sum across ranks adds each element on its own (in rank order), the buckets
/// change when elements are summed, never the bits of the sum.
struct GradientBuckets: Equatable {
    /// Where each parameter's gradient starts in the buffer (parameter order); one more entry at
    /// the end holds the total gradient count.
    let offsets: [Int]
    /// The parameter indices of each gradient bucket, in the order the buckets are summed.
    let parameterRanges: [Range<Int>]
    /// The bucket of each parameter.
    let bucketOfParameter: [Int]

    /// Elements of all gradients.
    var gradientCount: Int { offsets.last! }
    var parameterCount: Int { offsets.count - 1 }
    /// Elements of the whole buffer: gradients, flags, n_r and n_r·loss_r.
    var bufferCount: Int { gradientCount + parameterCount + 2 }
    /// The buffer range of every bucket in summing order, the tail (flags and counts) last.
    var bufferRanges: [Range<Int>] {
        parameterRanges.map { offsets[$0.lowerBound]..<offsets[$0.upperBound] } + [gradientCount..<bufferCount]
    }

    /// The layout for parameters of `counts` elements (in `module.parameters` order) and
    /// buckets of at least `bucketBytes` (≥ 1; `Int.max` puts all gradients in one bucket).
    init(parameterCounts counts: [Int], bucketBytes: Int) {
        precondition(bucketBytes >= 1, "a gradient bucket must hold at least one byte")
        var offsets = [0]
        for count in counts { offsets.append(offsets.last! + count) }
        self.offsets = offsets
        var ranges: [Range<Int>] = []
        var bucketOfParameter = [Int](repeating: 0, count: counts.count)
        var upper = counts.count, bytes = 0
        for index in counts.indices.reversed() {
            bucketOfParameter[index] = ranges.count
            bytes += counts[index] * MemoryLayout<Float>.stride
            if bytes >= bucketBytes || index == 0 {
                ranges.append(index..<upper)
                (upper, bytes) = (index, 0)
            }
        }
        parameterRanges = ranges
        self.bucketOfParameter = bucketOfParameter
    }
}
