/// Copying a contiguous tensor into a new dimension order (transposes, splitting and merging
/// attention heads).

/// out = inp (shape) with dimensions reordered by `axes` (output dimension i = input dimension
/// axes[i]). Rows of the output (all dimensions but the last) are independent copies.
func permuteCopy(out: UnsafeMutablePointer<Float>, inp: UnsafePointer<Float>, shape: [Int], axes: [Int]) {
    let rank = shape.count
    let count = shape.reduce(1, *)
    guard count > 0 else { return }
    if rank == 0 { out[0] = inp[0]; return }
    var inputStrides = [Int](repeating: 1, count: rank)
    for d in stride(from: rank - 2, through: 0, by: -1) { inputStrides[d] = inputStrides[d + 1] * shape[d + 1] }
    let outShape = axes.map { shape[$0] }
    let strides = axes.map { inputStrides[$0] }  // input stride of each output dimension
    let width = outShape[rank - 1], lastStride = strides[rank - 1]
    let rows = count / width
    outShape.withUnsafeBufferPointer { outShape in
        strides.withUnsafeBufferPointer { strides in
            Parallel.forEachChunk(rows, grain: max(1, 32_768 / max(width, 1))) { range in
                for row in range {
                    var rest = row, offset = 0
                    for d in stride(from: rank - 2, through: 0, by: -1) {
                        offset += (rest % outShape[d]) * strides[d]
                        rest /= outShape[d]
                    }
                    let o = out + row * width
                    if lastStride == 1 {
                        o.update(from: inp + offset, count: width)
                    } else {
                        for i in 0..<width { o[i] = inp[offset + i * lastStride] }
                    }
                }
            }
        }
    }
}
