// Shape and options shared by the attention kernels (AttentionForward, AttentionBackward,
// AttentionDecode, AttentionNaive).
//
// Letters: B batch, NH heads, Tq query length, Tk key/value length, HS head size.
// Q is (B, NH, Tq, HS); K and V are (B, NH, Tk, HS); the output is (B, NH, Tq, HS).

/// Shape and options of one attention call (mirrors `attn_attention_desc` in attention.h).
///
/// With `causal`, query `i` sees keys `j <= i + (Tk - Tq)`: the mask is aligned to the end of
/// the keys, as during cached generation where the last query is the newest token.
///
///     let shape = AttentionShape(batch: 1, heads: 8, queryLength: 256, keyLength: 256,
///                                headSize: 64, causal: true)
///     try shape.validate()
public struct AttentionShape: Sendable, Equatable {
    /// B: independent sequences.
    public var batch: Int
    /// NH: heads per sequence.
    public var heads: Int
    /// Tq: queries per head.
    public var queryLength: Int
    /// Tk: keys (and values) per head.
    public var keyLength: Int
    /// HS: size of one query, key or value vector (1 ... `maximumHeadSize`).
    public var headSize: Int
    /// Whether query i only sees keys j <= i + (Tk - Tq).
    public var causal: Bool
    /// Multiplies the scores Q·Kᵀ before the softmax; 1/sqrt(headSize) by default.
    public var scale: Float

    /// A shape; `scale` defaults to 1/sqrt(headSize). Call `validate()` before using sizes that
    /// came from outside.
    public init(batch: Int, heads: Int, queryLength: Int, keyLength: Int, headSize: Int,
                causal: Bool, scale: Float? = nil) {
        self.batch = batch
        self.heads = heads
        self.queryLength = queryLength
        self.keyLength = keyLength
        self.headSize = headSize
        self.causal = causal
        self.scale = scale ?? (headSize > 0 ? 1 / Float(headSize).squareRoot() : 1)
    }

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

    /// Largest head size accepted: per-thread scratch of the forward grows with HS.
    public static let maximumHeadSize = 4096

    /// Number of (batch, head) pairs, B·NH.
    @inlinable public var headCount: Int { batch * heads }
    /// Elements of Q, out, dout, dq: B·NH·Tq·HS.
    @inlinable public var queryCount: Int { batch * heads * queryLength * headSize }
    /// Elements of K, V, dk, dv: B·NH·Tk·HS.
    @inlinable public var keyCount: Int { batch * heads * keyLength * headSize }
    /// Elements of the probabilities: B·NH·Tq·Tk.
    @inlinable public var probabilityCount: Int { batch * heads * queryLength * keyLength }
    /// How far the causal diagonal is shifted: query i sees keys j <= i + keyOffset.
    @inlinable public var keyOffset: Int { keyLength - queryLength }

    /// Number of keys query `i` may see before the key-padding mask: Tk, or i + Tk - Tq + 1
    /// when causal.
    func visibleKeyCount(query i: Int) -> Int {
        causal ? min(keyLength, i + keyOffset + 1) : keyLength
    }
}
