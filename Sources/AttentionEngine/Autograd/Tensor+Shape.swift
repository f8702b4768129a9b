/// Shape ops: reshape, permute/transpose (e.g. splitting heads), narrow/select (slices along a
/// dimension), concatenate/stack; each with its backward pass. All of them copy (tensors are
/// always contiguous), except `reshaped`, which shares the storage.
extension Tensor {
    /// The same elements in a new shape with the same count. One dimension may be -1 (inferred).
    public func reshaped(_ newShape: [Int]) throws -> Tensor {
        var resolved = newShape
        if let hole = newShape.firstIndex(of: -1) {
            var rest = newShape
            rest.remove(at: hole)
            let known = try Tensor.elementCount(rest, "reshape \(shape) to \(newShape)")
            guard known > 0, count % known == 0 else {
                throw AttentionError.shape("reshape: cannot infer -1 in \(newShape) for \(count) elements")
            }
            resolved[hole] = count / known
        }
        guard try Tensor.elementCount(resolved, "reshape \(shape) to \(newShape)") == count else {
            throw AttentionError.shape("reshape: \(shape) (\(count) elements) cannot become \(newShape)")
        }
        let input = self
        let out = Tensor(shape: resolved, storage: storage)
        return Tensor.record(out, op: "reshape", inputs: [input]) { dout in
            input.node?.receive(passing: dout)
        }
    }

    /// Dimensions reordered: output dimension i is input dimension `axes[i]` (like torch.permute).
    public func permuted(_ axes: [Int]) throws -> Tensor {
        guard axes.count == rank, axes.sorted() == Array(0..<rank) else {
            throw AttentionError.shape("permute: \(axes) is not a permutation of the dimensions of \(shape)")
        }
        var inverse = axes
        for (i, axis) in axes.enumerated() { inverse[axis] = i }
        let input = self
        let outShape = axes.map { shape[$0] }
        let out = Tensor.build(outShape, count: count) {
            permuteCopy(out: $0, inp: input.storage.pointer, shape: input.shape, axes: axes)
        }
        return Tensor.record(out, op: "permute", inputs: [input]) { dout in
            input.node?.receive { permuteCopy(out: $0, inp: dout, shape: outShape, axes: inverse) }
        }
    }

    /// Dimensions `first` and `second` swapped.
    public func transposed(_ first: Int, _ second: Int) throws -> Tensor {
        guard (0..<rank).contains(first), (0..<rank).contains(second) else {
            throw AttentionError.shape("transpose: dimensions \(first), \(second) out of range for \(shape)")
        }
        var axes = Array(0..<rank)
        axes.swapAt(first, second)
        return try permuted(axes)
    }

    /// Sizes before, at, and after `dimension`: (outer, size, inner).
    private func split(at dimension: Int) -> (outer: Int, size: Int, inner: Int) {
        (shape[..<dimension].reduce(1, *), shape[dimension], shape[(dimension + 1)...].reduce(1, *))
    }

    /// Elements `start..<start+length` along `dimension` (like torch.narrow).
    public func narrowed(_ dimension: Int, start: Int, length: Int) throws -> Tensor {
        guard (0..<rank).contains(dimension), start >= 0, length >= 0, start <= shape[dimension] - length else {
            throw AttentionError.shape(
                "narrow: range \(start)..<\(start + length) of dimension \(dimension) out of bounds for \(shape)")
        }
        let input = self
        let (outer, size, inner) = split(at: dimension)
        var outShape = shape
        outShape[dimension] = length
        let out = Tensor.build(outShape, count: outer * length * inner) { out in
            for o in 0..<outer {
                (out + o * length * inner).update(from: input.storage.pointer + (o * size + start) * inner,
                                                  count: length * inner)
            }
        }
        return Tensor.record(out, op: "narrow", inputs: [input]) { dout in
            input.node?.accumulate { dinp in
                for o in 0..<outer {
                    vectorAdd(out: dinp + (o * size + start) * inner, a: dinp + (o * size + start) * inner,
                              b: dout + o * length * inner, count: length * inner)
                }
            }
        }
    }

    /// The slice at `index` along `dimension`, with that dimension removed (like x[:, t, :]).
    public func selected(_ dimension: Int, index: Int) throws -> Tensor {
        var outShape = shape
        let sliced = try narrowed(dimension, start: index, length: 1)
        outShape.remove(at: dimension)
        return try sliced.reshaped(outShape)
    }

    /// `tensors` joined along `dimension`; all other dimensions must match.
    public static func concatenated(_ tensors: [Tensor], along dimension: Int) throws -> Tensor {
        guard let first = tensors.first else { throw AttentionError.shape("concatenate: no tensors") }
        guard (0..<first.rank).contains(dimension) else {
            throw AttentionError.shape("concatenate: dimension \(dimension) out of range for \(first.shape)")
        }
        for tensor in tensors {
            var a = tensor.shape, b = first.shape
            guard a.count == b.count else {
                throw AttentionError.shape("concatenate: shapes \(first.shape) and \(tensor.shape) differ in rank")
            }
            a[dimension] = 0
            b[dimension] = 0
            guard a == b else {
                throw AttentionError.shape(
                    "concatenate: shapes \(first.shape) and \(tensor.shape) differ outside dimension \(dimension)")
            }
        }
        let (outer, _, inner) = first.split(at: dimension)
        let sizes = tensors.map { $0.shape[dimension] }
        let total = sizes.reduce(0, +)
        var outShape = first.shape
        outShape[dimension] = total
        let out = build(outShape, count: outer * total * inner) { out in
            var offset = 0
            for (tensor, size) in zip(tensors, sizes) {
                for o in 0..<outer {
                    (out + (o * total + offset) * inner).update(from: tensor.storage.pointer + o * size * inner,
                                                                count: size * inner)
                }
                offset += size
            }
        }
        return record(out, op: "concatenate", inputs: tensors) { dout in
            var offset = 0
            for (tensor, size) in zip(tensors, sizes) {
                tensor.node?.receive { dinp in
                    for o in 0..<outer {
                        (dinp + o * size * inner).update(from: dout + (o * total + offset) * inner,
                                                         count: size * inner)
                    }
                }
                offset += size
            }
        }
    }

    /// `tensors` of equal shape stacked along a new `dimension` (like torch.stack).
    public static func stacked(_ tensors: [Tensor], along dimension: Int) throws -> Tensor {
        guard let first = tensors.first, (0...first.rank).contains(dimension) else {
            throw AttentionError.shape("stack: no tensors or dimension \(dimension) out of range")
        }
        var expanded = first.shape
        expanded.insert(1, at: dimension)
        return try concatenated(tensors.map {
            guard $0.shape == first.shape else {
                throw AttentionError.shape("stack: shapes \(first.shape) and \($0.shape) differ")
            }
            return try $0.reshaped(expanded)
        }, along: dimension)
    }
}
