import AttentionEngine
import XCTest

/// The run-time choice of kernels: what is chosen, and that the kernel sets agree bit for bit
/// (each element sees the same FMA sequence whatever the vector width), so a model gives the same
/// numbers on an AVX2 and an AVX-512 host. The per-kernel tests compare every set with the naive
/// references; this one needs two sets and is skipped on a CPU without AVX-512.
final class KernelISATests: XCTestCase {
    func testActiveSetIsOneTheCPUExecutes() {
        XCTAssertTrue(KernelISA.available.contains(.avx2))
        XCTAssertTrue(KernelISA.available.contains(KernelISA.active))
        XCTAssertEqual(KernelISA.available.contains(.avx512), CPUFeatures.current.hasAVX512)
        XCTAssertTrue(CPUFeatures.current.names.contains("avx2"), CPUFeatures.summary)
        XCTAssertTrue(CPUFeatures.current.names.contains("fma"), CPUFeatures.summary)
        XCTAssertEqual(GemmMicroKernel.available.count, KernelISA.available.count)
    }

    private func requireTwoSets() throws {
        if KernelISA.available.count < 2 {
            throw XCTSkip("one kernel set on this CPU (\(CPUFeatures.summary))")
        }
    }

    func testAttentionIsBitwiseTheSameOnEverySet() throws {
        try requireTwoSets()
        // (Tq, Tk, HS, causal, padding): self and cross attention, head sizes on and off the
        // vector widths, the decode path (Tq 1), every mask kind.
        let cases: [(Int, Int, Int, Bool, AttentionInputs.Padding)] = [
            (300, 300, 64, true, .none), (130, 130, 80, true, .random), (65, 200, 32, false, .random),
            (70, 70, 17, true, .none), (1, 600, 128, true, .random), (200, 200, 128, false, .none),
        ]
        for (index, (Tq, Tk, HS, causal, padding)) in cases.enumerated() {
            let shape = AttentionShape(batch: 2, heads: 2, queryLength: Tq, keyLength: Tk,
                                       headSize: HS, causal: causal)
            let inputs = AttentionInputs(shape, padding: padding, seed: UInt64(60 + index))
            var random = TestRandom(seed: UInt64(70 + index))
            let dout = random.floats(shape.queryCount)
            let results = KernelISA.available.map { isa in
                let forward = inputs.forward(probabilities: Tq > 1, isa: isa)
                return (forward, inputs.backward(dout: dout, forward: forward, isa: isa))
            }
            for (forward, gradients) in results.dropFirst() {
                assertBitwiseEqual(forward.out, results[0].0.out)
                assertBitwiseEqual(forward.lse, results[0].0.lse)
                if Tq > 1 { assertBitwiseEqual(forward.probs!, results[0].0.probs!) }
                assertBitwiseEqual(gradients.dq, results[0].1.dq)
                assertBitwiseEqual(gradients.dk, results[0].1.dk)
                assertBitwiseEqual(gradients.dv, results[0].1.dv)
            }
        }
    }

    func testGemmIsBitwiseTheSameOnEveryTile() throws {
        try requireTwoSets()
        var random = TestRandom(seed: 80)
        let (m, n, k) = (70, 100, 300)  // edge tiles in both dimensions, two KC blocks
        let a = random.floats(m * k), b = random.floats(n * k), bias = random.floats(n)
        let results = GemmMicroKernel.available.map { kernel in
            var c = [Float](repeating: .nan, count: m * n)
            gemm(transA: false, transB: true, m: m, n: n, k: k, alpha: 0.5, a: a, lda: k,
                 b: b, ldb: k, beta: 0, c: &c, ldc: n, bias: bias, microKernel: kernel)
            return c
        }
        for c in results.dropFirst() { assertBitwiseEqual(c, results[0]) }
    }
}
