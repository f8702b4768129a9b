// Validation of an attention shape against what the kernels assume (AttentionShape itself lives
// with the kernels in the AttentionKernels module).

extension AttentionShape {
    /// Checks what the kernels assume: sizes >= 0, 1 <= headSize <= 4096, every buffer's element count
    /// (and byte count) representable, Tq <= Tk when causal, a finite scale.
    /// Throws `AttentionError` (`.shape` or `.invalid`) with a message naming the problem.
    public func validate() throws {
        let sizes = [("batch", batch), ("heads", heads), ("queryLength", queryLength),
                     ("keyLength", keyLength)]
        for (name, value) in sizes where value < 0 {
            throw AttentionError.shape("attention: \(name) \(value) is negative")
        }
        if headSize < 1 || headSize > AttentionShape.maximumHeadSize {
            throw AttentionError.shape(
                "attention: headSize \(headSize) must be from 1 to \(AttentionShape.maximumHeadSize)")
        }
        if causal && queryLength > keyLength {
            throw AttentionError.shape(
                "attention: causal needs queryLength <= keyLength, got \(queryLength) > \(keyLength)")
        }
        if !scale.isFinite {
            throw AttentionError.invalid("attention: scale \(scale) is not finite")
        }
        // Q/out (B,NH,Tq,HS), K/V (B,NH,Tk,HS), probs (B,NH,Tq,Tk), all in bytes.
        let dimensions: [(String, [Int])] = [
            ("query", [batch, heads, queryLength, headSize, MemoryLayout<Float>.stride]),
            ("key", [batch, heads, keyLength, headSize, MemoryLayout<Float>.stride]),
            ("probabilities", [batch, heads, queryLength, keyLength, MemoryLayout<Float>.stride]),
        ]
        for (name, factors) in dimensions {
            // Empty dimensions count as 1, so a zero cannot hide the overflow of the others
            // (kernels derive loop bounds and grains from each dimension separately).
            var product = 1
            for factor in factors {
                let (result, overflow) = product.multipliedReportingOverflow(by: max(factor, 1))
                if overflow {
                    throw AttentionError.shape("attention: the \(name) buffer size overflows")
                }
                product = result
            }
        }
    }
}
