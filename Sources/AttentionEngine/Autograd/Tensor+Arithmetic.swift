/// Elementwise arithmetic ops with their backward passes.
///
/// Broadcasting: the two operands either have the same shape, or one shape is a suffix of the
/// other (e.g. (B,T,C) + (C) or (B,T,C) · (T,C)); the shorter operand repeats over the leading
/// dimensions, and its gradient is the sum over them.
extension Tensor {
    /// How `a ⊕ b` lines up: output shape, rows the short operand repeats over, its length, and
    /// whether `b` (false) or `a` (true) is the repeated one.
    private static func broadcastLayout(_ a: Tensor, _ b: Tensor, _ op: String) throws
        -> (shape: [Int], rows: Int, cols: Int, repeatsA: Bool) {
        if a.shape == b.shape { return (a.shape, 1, a.count, false) }
        if a.rank >= b.rank, Array(a.shape.suffix(b.rank)) == b.shape {
            return (a.shape, b.count == 0 ? 0 : a.count / b.count, b.count, false)
        }
        if b.rank > a.rank, Array(b.shape.suffix(a.rank)) == a.shape {
            return (b.shape, a.count == 0 ? 0 : b.count / a.count, a.count, true)
        }
        throw AttentionError.shape(
            "\(op): shapes \(a.shape) and \(b.shape) do not broadcast (one must be a suffix of the other)")
    }

    /// a + b with broadcasting over leading dimensions.
    public static func + (a: Tensor, b: Tensor) throws -> Tensor {
        let layout = try broadcastLayout(a, b, "add")
        let (long, short) = layout.repeatsA ? (b, a) : (a, b)
        let count = long.count
        let out = build(layout.shape, count: count) { out in
            if layout.rows == 1 {
                vectorAdd(out: out, a: a.storage.pointer, b: b.storage.pointer, count: count)
            } else {
                broadcastForward(out: out, a: long.storage.pointer, b: short.storage.pointer,
                                 rows: layout.rows, cols: layout.cols, multiply: false)
            }
        }
        return record(out, op: "add", inputs: [a, b]) { dout in
            long.node?.receive(passing: dout)
            if layout.rows == 1 {
                short.node?.receive(passing: dout)
            } else {
                short.node?.accumulate {
                    columnSumAccumulate(dsum: $0, x: dout, rows: layout.rows, cols: layout.cols)
                }
            }
        }
    }

    /// a · b elementwise with broadcasting over leading dimensions.
    public static func * (a: Tensor, b: Tensor) throws -> Tensor {
        let layout = try broadcastLayout(a, b, "multiply")
        let (long, short) = layout.repeatsA ? (b, a) : (a, b)
        let count = long.count
        let out = build(layout.shape, count: count) { out in
            broadcastForward(out: out, a: long.storage.pointer, b: short.storage.pointer,
                             rows: layout.rows, cols: layout.cols, multiply: true)
        }
        return record(out, op: "multiply", inputs: [a, b]) { dout in
            // dlong = dout · short (short repeated); dshort = Σ_rows dout · long
            long.node?.receive {
                broadcastForward(out: $0, a: dout, b: short.storage.pointer,
                                 rows: layout.rows, cols: layout.cols, multiply: true)
            }
            if layout.rows == 1 {
                short.node?.receive { vectorMultiply(out: $0, a: dout, b: long.storage.pointer, count: count) }
            } else {
                short.node?.accumulate {
                    columnSumAccumulate(dsum: $0, x: dout, y: long.storage.pointer,
                                        rows: layout.rows, cols: layout.cols)
                }
            }
        }
    }

    /// a − b with broadcasting over leading dimensions.
    public static func - (a: Tensor, b: Tensor) throws -> Tensor {
        try a + b.affine(scale: -1, shift: 0)
    }

    /// scale · self + shift, elementwise.
    public func affine(scale: Float, shift: Float) -> Tensor {
        let input = self
        let out = Tensor.build(shape, count: count) {
            vectorAffine(out: $0, x: input.storage.pointer, alpha: scale, beta: shift, count: input.count)
        }
        return Tensor.record(out, op: "affine", inputs: [input]) { dout in
            input.node?.receive { vectorAffine(out: $0, x: dout, alpha: scale, beta: 0, count: input.count) }
        }
    }

    /// self · scalar.
    public static func * (a: Tensor, scalar: Float) -> Tensor { a.affine(scale: scalar, shift: 0) }
    /// scalar · self.
    public static func * (scalar: Float, a: Tensor) -> Tensor { a.affine(scale: scalar, shift: 0) }
    /// self + scalar.
    public static func + (a: Tensor, scalar: Float) -> Tensor { a.affine(scale: 1, shift: scalar) }
    /// scalar − self.
    public static func - (scalar: Float, a: Tensor) -> Tensor { a.affine(scale: -1, shift: scalar) }
    /// −self.
    public static prefix func - (a: Tensor) -> Tensor { a.affine(scale: -1, shift: 0) }
}
