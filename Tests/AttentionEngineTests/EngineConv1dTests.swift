import AttentionEngine
import XCTest

/// Conv1d against a direct convolution in Double for causal and same padding with dilation;
/// gradients by finite differences; causality; bad sizes.
final class EngineConv1dTests: XCTestCase {
    private func naiveConvolution(_ x: Tensor, _ layer: Conv1d) -> [Float] {
        let (batch, time, inChannels) = (x.shape[0], x.shape[1], x.shape[2])
        let w = layer.weight.value.scalars, b = layer.bias!.value.scalars, xs = x.scalars
        let (outChannels, k, dilation) = (layer.weight.shape[0], layer.kernelSize, layer.dilation)
        let span = (k - 1) * dilation
        let padLeft = layer.padding == .causal ? span : span / 2
        var y: [Float] = []
        for bi in 0..<batch {
            for t in 0..<time {
                for o in 0..<outChannels {
                    var s = Double(b[o])
                    for c in 0..<inChannels {
                        for j in 0..<k {
                            let source = t - padLeft + j * dilation
                            guard source >= 0, source < time else { continue }
                            s += Double(w[(o * inChannels + c) * k + j]) * Double(xs[(bi * time + source) * inChannels + c])
                        }
                    }
                    y.append(Float(s))
                }
            }
        }
        return y
    }

    func testMatchesDirectConvolution() throws {
        var rng = Random(seed: 2)
        for padding in [Conv1d.Padding.causal, .same] {
            for (k, dilation, time, inChannels, outChannels) in [(1, 1, 5, 3, 2), (3, 1, 7, 3, 17), (3, 2, 9, 17, 4), (4, 3, 3, 2, 3)] {
                let conv = try Conv1d(inChannels: inChannels, outChannels: outChannels, kernelSize: k,
                                      dilation: dilation, padding: padding, rng: &rng)
                let x = randomTensor([2, time, inChannels], seed: 3)
                // Sums of ≤ 68 products of size ≤ 1: 1e-5 absolute.
                assertClose(try conv(x).scalars, naiveConvolution(x, conv), absolute: 1e-5,
                            "\(padding) k \(k) dilation \(dilation) T \(time)")
                try checkGradients(inputs: [x], parameters: conv.parameters) { try conv($0[0]) }
            }
        }
    }

    /// With causal padding, changing the input at step 4 changes no output before step 4.
    func testCausalSeesNoFuture() throws {
        var rng = Random(seed: 5)
        let conv = try Conv1d(inChannels: 2, outChannels: 3, kernelSize: 3, dilation: 2, padding: .causal, rng: &rng)
        var x = randomTensor([1, 8, 2], seed: 1)
        let before = try conv(x).scalars
        x[flat: 4 * 2] += 1
        let after = try conv(x).scalars
        XCTAssertEqual(Array(before[..<(4 * 3)]), Array(after[..<(4 * 3)]))
        XCTAssertNotEqual(Array(before[(4 * 3)...]), Array(after[(4 * 3)...]))
    }

    /// Output and gradients bitwise identical on 1, 2 and 3 threads, at a size where im2col and
    /// its backward split across threads.
    func testDeterministicAcrossThreadCounts() {
        let runs = withThreadCounts { () -> [[Float]] in
            var rng = Random(seed: 8)
            let conv = try! Conv1d(inChannels: 32, outChannels: 16, kernelSize: 3, dilation: 2, padding: .same, rng: &rng)
            let x = randomTensor([4, 128, 32], seed: 9).requiringGrad()
            let y = try! conv(x)
            try! (y * y).sum().backward()
            return [y.scalars, x.grad!.scalars, conv.weight.grad!.scalars]
        }
        for run in runs.dropFirst() {
            for (a, b) in zip(runs[0], run) { assertBitwiseEqual(a, b) }
        }
    }

    func testBadSizes() {
        var rng = Random(seed: 1)
        assertThrowsAttentionError(["Conv1d", "kernel: 0"]) {
            _ = try Conv1d(inChannels: 2, outChannels: 2, kernelSize: 0, padding: .same, rng: &rng)
        }
        let conv = try! Conv1d(inChannels: 2, outChannels: 2, kernelSize: 3, padding: .same, rng: &rng)
        assertThrowsAttentionError(["Conv1d(2 → 2", "[1, 4, 3]"]) { _ = try conv(Tensor.zeros([1, 4, 3])) }
    }
}
