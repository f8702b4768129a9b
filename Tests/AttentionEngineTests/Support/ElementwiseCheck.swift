import AttentionEngine
import XCTest

/// An elementwise forward kernel: (out, inp, count).
typealias ElementwiseForward = (UnsafeMutablePointer<Float>, UnsafePointer<Float>, Int) -> Void
/// An elementwise backward kernel: (dinp, dout, inp or out, count).
typealias ElementwiseBackward = (UnsafeMutablePointer<Float>, UnsafePointer<Float>, UnsafePointer<Float>, Int) -> Void

/// Runs an elementwise kernel on `input` and returns its output.
func apply(_ kernel: ElementwiseForward, _ input: [Float], arena: TestArena) -> [Float] {
    let out = arena.buffer(repeating: Float.nan, count: input.count)
    kernel(out, arena.buffer(input), input.count)
    return values(out, input.count)
}

/// Runs an elementwise backward kernel and returns dinp.
func apply(_ kernel: ElementwiseBackward, dout: [Float], saved: [Float], arena: TestArena) -> [Float] {
    let dinp = arena.buffer(repeating: Float.nan, count: saved.count)
    kernel(dinp, arena.buffer(dout), arena.buffer(saved), saved.count)
    return values(dinp, saved.count)
}

/// `count` points evenly spaced over [low, high], the dense grid of the error-bound tests.
func grid(_ low: Float, _ high: Float, count: Int) -> [Float] {
    (0..<count).map { low + (high - low) * Float($0) / Float(count - 1) }
}

/// Checks the shared contract of an elementwise kernel pair: every size in
/// `elementwiseTestSizes` and 0 matches the naive kernels (forward within `forwardTolerance`
/// relative + 1e-37 absolute, backward within 1e-6 absolute + `backwardTolerance` relative),
/// in-place forward equals out-of-place, and results are bitwise identical for 1, 2, 3 threads.
/// `backwardUsesOutput`: the backward kernel takes the forward output instead of the input.
func checkElementwiseContract(forward: ElementwiseForward, forwardNaive: ElementwiseForward,
                              backward: ElementwiseBackward, backwardNaive: ElementwiseBackward,
                              backwardUsesOutput: Bool, forwardTolerance: Float,
                              backwardTolerance: Float, arena: TestArena,
                              file: StaticString = #filePath, line: UInt = #line) {
    var random = TestRandom(seed: 21)
    for count in [0] + elementwiseTestSizes {
        let input = random.floats(count, -6, 6), upstream = random.floats(count)
        let out = apply(forward, input, arena: arena)
        assertClose(out, apply(forwardNaive, input, arena: arena), absolute: 1e-37,
                    relative: forwardTolerance, "count \(count)", file: file, line: line)
        let saved = backwardUsesOutput ? out : input
        assertClose(apply(backward, dout: upstream, saved: saved, arena: arena),
                    apply(backwardNaive, dout: upstream, saved: saved, arena: arena),
                    absolute: 1e-6, relative: backwardTolerance, "count \(count)", file: file, line: line)
        let inPlace = arena.buffer(input)
        forward(inPlace, inPlace, count)
        assertBitwiseEqual(values(inPlace, count), out, "in place, count \(count)", file: file, line: line)
    }
    // Large enough (100k) to be split across threads, odd so the last block is partial.
    let input = random.floats(100_003, -8, 8), upstream = random.floats(100_003)
    let results = withThreadCounts { () -> [Float] in
        let out = apply(forward, input, arena: arena)
        return out + apply(backward, dout: upstream, saved: backwardUsesOutput ? out : input, arena: arena)
    }
    assertBitwiseEqual(results[0], results[1], "threads 1 vs 2", file: file, line: line)
    assertBitwiseEqual(results[0], results[2], "threads 1 vs 3", file: file, line: line)
}

/// Central finite differences (in Double) of Σ dout ⊙ f(x) checked against a backward kernel:
/// |dinp − numeric| <= absolute + relative·|numeric|.
func checkBackwardAgainstFiniteDifferences(
    _ f: (Double) -> Double, forward: ElementwiseForward, backward: ElementwiseBackward,
    backwardUsesOutput: Bool, inputs: [Float], absolute: Float, relative: Float, arena: TestArena,
    file: StaticString = #filePath, line: UInt = #line
) {
    var random = TestRandom(seed: 22)
    let upstream = random.floats(inputs.count)
    let saved = backwardUsesOutput ? apply(forward, inputs, arena: arena) : inputs
    let dinp = apply(backward, dout: upstream, saved: saved, arena: arena)
    // Elementwise: the derivative of Σ_i w_i·f(x_i) w.r.t. x_i involves x_i alone.
    let numeric = inputs.indices.map { i -> Float in
        Float(Double(upstream[i]) * finiteDifference([Double(inputs[i])], index: 0) { f($0[0]) })
    }
    assertClose(dinp, numeric, absolute: absolute, relative: relative, file: file, line: line)
}
