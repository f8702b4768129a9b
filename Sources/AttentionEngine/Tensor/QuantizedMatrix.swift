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
///     let packed = try QuantizedMatrix(quantizing: linear.weight.value, as: .q8)
///     let y = try packed.linear(x, bias: linear.bias?.value)          // x (…, IN) → (…, OUT)
public final class QuantizedMatrix: @unchecked Sendable {
    public let format: WeightFormat
    /// OUT: rows of W.
    public let rows: Int
    /// IN: columns of W (a multiple of 32 for Q8).
    public let columns: Int
    /// BF16 bit patterns (rows, columns); empty for Q8.
    public let bf16Bits: [UInt16]
    /// Q8 integers (rows, columns); empty for BF16.
    public let quants: [Int8]
    /// Q8 scales (rows, columns / 32); empty for BF16.
    public let scales: [Float]

    /// BF16 from bit patterns (rows, columns), e.g. a checkpoint's BF16 tensor.
    public init(bf16Bits: [UInt16], rows: Int, columns: Int) throws {
        try Self.checkSizes(rows, columns, count: bf16Bits.count)
        format = .bf16
        self.rows = rows
        self.columns = columns
        self.bf16Bits = bf16Bits
        quants = []
        scales = []
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
        bf16Bits = []
        self.quants = quants
        self.scales = scales
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

    /// Bytes of weight data a product reads (the values and the scales).
    public var byteCount: Int { bf16Bits.count * 2 + quants.count + scales.count * 4 }

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
            tokens.withUnsafeBufferPointer { gatherRows($0.baseAddress!, count: tokens.count, into: buffer.baseAddress!) }
            count = tokens.count * columns
        }
        return try Tensor(shape: shape + [columns], values: values)
    }

    /// Weight `index` (row-major in (OUT, IN)) widened to FP32: the one widening that lookups,
    /// `dequantized()` and the packed product use.
    @inline(__always)
    func widenedWeight(_ index: Int) -> Float {
        switch format {
        case .bf16: return HalfFloat.float(fromBFloat16: bf16Bits[index])
        case .q8: return scales[index / q8BlockSize] * Float(quants[index])
        }
    }

    /// out (count, IN) = rows `tokens[0..<count]` of W widened to FP32 (ids already checked to
    /// be in 0..<OUT).
    package func gatherRows(_ tokens: UnsafePointer<Int32>, count: Int, into out: UnsafeMutablePointer<Float>) {
        for i in 0..<count {
            let row = Int(tokens[i]) * columns, target = out + i * columns
            for j in 0..<columns { target[j] = widenedWeight(row + j) }
        }
    }

    /// W (OUT, IN) widened back to FP32, exactly as the kernels see it.
    public func dequantized() -> Tensor {
        let values = (0..<rows * columns).map(widenedWeight)
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
