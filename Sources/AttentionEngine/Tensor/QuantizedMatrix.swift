/// The storage of a weight matrix for inference: FP32 narrowed to BF16, or quantized to Q8.
public enum WeightFormat: String, CaseIterable, Sendable {
    /// bfloat16: the upper half of each FP32 (round to nearest even); 2 bytes per weight.
    case bf16
    /// llama.cpp's Q8_0: symmetric 8-bit integers with one FP32 scale per block of 32 weights
    /// along the input dimension; 1.125 bytes per weight.
    case q8
}

/// A read-only (OUT, IN) weight matrix held as BF16 or Q8 for inference, multiplied by
/// `QuantizedMatrix.linear` with kernels that widen the weights in registers (QuantizedDotRows).
/// It has no gradient: a model with such weights only runs forward.
///
/// Q8: for each row j and block b of 32 columns, scale = max |W[j, b·32 ..< b·32+32]| / 127 and
/// q = round(W / scale) in [-127, 127] (scale 0 and q 0 for an all-zero block), so every weight
/// is off by at most scale / 2. BF16: round to nearest even, off by at most 2⁻⁸ relative.
///
/// In memory the values are kept in the kernels' row-quad layout (`RowQuadLayout`): rows in
/// groups of four, each group's chunks of 32 values interleaved row by row, so that a product
/// reads one contiguous stream. `bf16Bits`, `quants` and `scales` give them back row-major.
///
///     let packed = try QuantizedMatrix(quantizing: linear.weight.value, as: .q8)
///     let y = try packed.linear(x, bias: linear.bias?.value)          // x (…, IN) → (…, OUT)
public final class QuantizedMatrix: @unchecked Sendable {
    public let format: WeightFormat
    /// OUT: rows of W.
    public let rows: Int
    /// IN: columns of W (a multiple of 32 for Q8).
    public let columns: Int
    /// BF16 bit patterns of W in the row-quad layout with chunks of 32 (`RowQuadLayout`, rows
    /// padded with zeros to a multiple of 4); empty for Q8.
    let packedBF16: [UInt16]
    /// Q8 integers of W in the row-quad layout with chunks of 32 (one block); empty for BF16.
    let packedQuants: [Int8]
    /// Q8 scales (rows, columns / 32) in the row-quad layout with chunks of 1: for each group of
    /// four rows, block by block, the four rows' scales; empty for BF16.
    let packedScales: [Float]

    /// BF16 bit patterns (rows, columns), row-major (a copy); empty for Q8.
    public var bf16Bits: [UInt16] { RowQuadLayout(rows: rows, columns: columns, chunk: quantizedChunk).unpacked(packedBF16) }
    /// Q8 integers (rows, columns), row-major (a copy); empty for BF16.
    public var quants: [Int8] { RowQuadLayout(rows: rows, columns: columns, chunk: quantizedChunk).unpacked(packedQuants) }
    /// Q8 scales (rows, columns / 32), row-major (a copy); empty for BF16.
    public var scales: [Float] {
        format == .q8 ? RowQuadLayout(rows: rows, columns: columns / q8BlockSize, chunk: 1).unpacked(packedScales) : []
    }

    /// BF16 from bit patterns (rows, columns), e.g. a checkpoint's BF16 tensor.
    public init(bf16Bits: [UInt16], rows: Int, columns: Int) throws {
        try Self.checkSizes(rows, columns, count: bf16Bits.count)
        format = .bf16
        self.rows = rows
        self.columns = columns
        packedBF16 = RowQuadLayout(rows: rows, columns: columns, chunk: quantizedChunk).packed(bf16Bits)
        packedQuants = []
        packedScales = []
    }

    /// Q8 from integers (rows, columns) and scales (rows, columns / 32), e.g. read from a file:
    /// throws unless columns is a multiple of 32, the sizes match, every scale is finite and
    /// non-negative and no integer is -128 (the format is symmetric).
    public init(quants: [Int8], scales: [Float], rows: Int, columns: Int) throws {
        try Self.checkSizes(rows, columns, count: quants.count)
        guard columns % q8BlockSize == 0 else {
            throw AttentionError.invalid("Q8 weights: the block size \(q8BlockSize) does not divide the input dimension \(columns)")
        }
        guard scales.count == rows * (columns / q8BlockSize) else {
            throw AttentionError.shape("Q8 weights: \(scales.count) scales for a (\(rows), \(columns)) matrix, need \(rows) × \(columns / q8BlockSize)")
        }
        if let bad = scales.firstIndex(where: { !$0.isFinite || $0 < 0 || $0 > Self.largestScale }) {
            throw AttentionError.invalid("Q8 weights: scale \(bad) is \(scales[bad]) (scales must be finite, ≥ 0 and at most \(Self.largestScale), so that 127 × scale is finite)")
        }
        if let bad = quants.firstIndex(of: -128) {
            throw AttentionError.invalid("Q8 weights: value \(bad) is -128 (symmetric Q8 uses -127...127)")
        }
        format = .q8
        self.rows = rows
        self.columns = columns
        packedBF16 = []
        packedQuants = RowQuadLayout(rows: rows, columns: columns, chunk: quantizedChunk).packed(quants)
        packedScales = RowQuadLayout(rows: rows, columns: columns / q8BlockSize, chunk: 1).packed(scales)
    }

    /// The largest Q8 scale: 127 times it is the largest finite FP32.
    public static let largestScale = Float.greatestFiniteMagnitude / 127

    /// `weight` (OUT, IN) in `format`. Throws unless it is a finite rank-2 tensor whose values
    /// stay finite in `format` (BF16 rounds values within 2⁻⁹ of FP32's largest up to infinity),
    /// and IN is a multiple of 32 for Q8.
    public convenience init(quantizing weight: Tensor, as format: WeightFormat) throws {
        guard weight.rank == 2 else {
            throw AttentionError.shape("quantize: weight \(weight.shape) is not a matrix (OUT, IN)")
        }
        let values = weight.scalars
        if let bad = values.firstIndex(where: { !$0.isFinite }) {
            throw AttentionError.invalid("quantize: weight element \(bad) is \(values[bad])")
        }
        let (rows, columns) = (weight.shape[0], weight.shape[1])
        switch format {
        case .bf16:
            let bits = values.map(bfloat16Bits)
            if let bad = bits.firstIndex(where: { $0 & 0x7FFF == 0x7F80 }) {
                throw AttentionError.invalid("quantize: weight element \(bad) (\(values[bad])) overflows BF16 (it would round to infinity)")
            }
            try self.init(bf16Bits: bits, rows: rows, columns: columns)
        case .q8:
            guard columns % q8BlockSize == 0 else {
                throw AttentionError.invalid("quantize: the Q8 block size \(q8BlockSize) does not divide the input dimension \(columns)")
            }
            var quants = [Int8](repeating: 0, count: values.count)
            var scales = [Float](repeating: 0, count: values.count / q8BlockSize)
            for block in scales.indices {
                let range = block * q8BlockSize..<(block + 1) * q8BlockSize
                let maximum = values[range].reduce(0) { max($0, abs($1)) }
                guard maximum > 0 else { continue }
                let scale = maximum / 127
                scales[block] = scale
                for p in range { quants[p] = Int8(max(-127, min(127, (values[p] / scale).rounded()))) }
            }
            try self.init(quants: quants, scales: scales, rows: rows, columns: columns)
        }
    }

    private static func checkSizes(_ rows: Int, _ columns: Int, count: Int) throws {
        guard rows >= 0, columns >= 0, rows.multipliedReportingOverflow(by: columns) == (count, false) else {
            throw AttentionError.shape("quantized weights: \(count) values for a (\(rows), \(columns)) matrix")
        }
    }

    /// Bytes of weight data a product reads (the values and the scales, with the padding rows).
    public var byteCount: Int { packedBF16.count * 2 + packedQuants.count + packedScales.count * 4 }

    /// Rows `tokens` of W widened to FP32, as an embedding lookup: ids with `shape` (e.g. (B,T))
    /// → shape + [IN]. Throws for an id outside 0..<OUT or a count that does not fit `shape`.
    public func rows(_ tokens: [Int32], shape: [Int]) throws -> Tensor {
        guard try Tensor.elementCount(shape, "embedding") == tokens.count else {
            throw AttentionError.shape("embedding: \(tokens.count) token ids for shape \(shape)")
        }
        if let bad = tokens.first(where: { $0 < 0 || Int($0) >= rows }) {
            throw AttentionError.invalid("embedding: token id \(bad) outside the vocabulary 0..<\(rows)")
        }
        let values = [Float](unsafeUninitializedCapacity: tokens.count * columns) { buffer, count in  // (tokens, IN)
            if let base = buffer.baseAddress, !tokens.isEmpty {
                tokens.withUnsafeBufferPointer { gatherRows($0.baseAddress!, count: tokens.count, into: base) }
            }
            count = tokens.count * columns
        }
        return try Tensor(shape: shape + [columns], values: values)
    }

    /// Calls `body(p, W[row, p] widened)` for p in `columns`, in order, walking the row-quad
    /// layout a run of contiguous values at a time (a chunk of 32 shares one Q8 scale): the one
    /// widening that lookups, `dequantized()` and the packed product use.
    @inline(__always)
    func widenRow(_ row: Int, columns: Range<Int>, _ body: (Int, Float) -> Void) {
        let layout = RowQuadLayout(rows: rows, columns: self.columns, chunk: quantizedChunk)
        var p = columns.lowerBound
        while p < columns.upperBound {
            let start = layout.index(row: row, column: p)
            let runEnd = p < layout.chunkedColumns ? min(p - p % quantizedChunk + quantizedChunk, columns.upperBound)
                                                   : columns.upperBound
            switch format {
            case .bf16:
                for t in 0..<runEnd - p { body(p + t, HalfFloat.float(fromBFloat16: packedBF16[start + t])) }
            case .q8:
                let scale = packedScales[RowQuadLayout(rows: rows, columns: self.columns / q8BlockSize, chunk: 1)
                    .index(row: row, column: p / q8BlockSize)]
                for t in 0..<runEnd - p { body(p + t, scale * Float(packedQuants[start + t])) }
            }
            p = runEnd
        }
    }

    /// out (count, IN) = rows `tokens[0..<count]` of W widened to FP32 (ids already checked to
    /// be in 0..<OUT).
    package func gatherRows(_ tokens: UnsafePointer<Int32>, count: Int, into out: UnsafeMutablePointer<Float>) {
        for i in 0..<count {
            let target = out + i * columns
            widenRow(Int(tokens[i]), columns: 0..<columns) { p, value in target[p] = value }
        }
    }

    /// W (OUT, IN) widened back to FP32, exactly as the kernels see it.
    public func dequantized() -> Tensor {
        let values = [Float](unsafeUninitializedCapacity: rows * columns) { buffer, count in  // (OUT, IN)
            for row in 0..<rows where columns > 0 {
                let target = buffer.baseAddress! + row * columns
                widenRow(row, columns: 0..<columns) { p, value in target[p] = value }
            }
            count = rows * columns
        }
        return try! Tensor(shape: [rows, columns], values: values)
    }
}

/// The BF16 nearest to `value` (ties to even); NaN stays a (quiet) NaN.
public func bfloat16Bits(_ value: Float) -> UInt16 {
    let bits = value.bitPattern
    if value.isNaN { return UInt16(bits >> 16) | 0x0040 }
    let roundingBias: UInt32 = 0x7FFF + ((bits >> 16) & 1)
    return UInt16((bits &+ roundingBias) >> 16)
}
