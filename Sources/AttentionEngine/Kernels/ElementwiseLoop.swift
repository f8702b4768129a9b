// The parallel loop shared by the elementwise kernels (activations, GELU, AdamW).

/// Applies `body` to consecutive SIMD16 blocks of `0..<count` (the last one partial), in
/// parallel once there are more than `grain` elements (32768 ≈ 10 µs of the cheapest kernel,
/// well above the ~1 µs cost of a parallel region). Every element goes through the same lane
/// arithmetic wherever the chunk boundaries fall, so results are identical for any thread count.
@inline(__always)
func forEachBlock16(count: Int, grain: Int = 32_768,
                    _ body: (_ offset: Int, _ count: Int) -> Void) {
    let blocks = (count + 15) / 16
    Parallel.forEachChunk(blocks, grain: max(1, grain / 16)) { range in
        for block in range {
            let offset = block * 16
            // Two call sites so that the inlined body sees the constant 16 for full blocks and
            // its partial loads and stores fold into plain vector ones.
            if offset + 16 <= count {
                body(offset, 16)
            } else {
                body(offset, count - offset)
            }
        }
    }
}
