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
    @inlinable package func visibleKeyCount(query i: Int) -> Int {
        causal ? min(keyLength, i + keyOffset + 1) : keyLength
    }
}
