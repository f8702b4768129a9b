import AttentionEngine
import Foundation
import XCTest

/// adamwUpdate against a Double re-implementation written out here, independent of the kernel.
final class AdamWTests: XCTestCase {
    private let arena = TestArena()

    /// Several steps on the same state; params, m and v within 1e-6 absolute + 1e-5 relative of
    /// the Double trajectory (Float state rounding plus the 3e-7 square root).
    func testMatchesDoubleReimplementation() {
        var random = TestRandom(seed: 51)
        for count in [0] + elementwiseTestSizes {
            var p = random.floats(count).map(Double.init), m = [Double](repeating: 0, count: count)
            var v = m
            let params = arena.buffer(p.map(Float.init))
            let mBuffer = arena.buffer(repeating: Float(0), count: count)
            let vBuffer = arena.buffer(repeating: Float(0), count: count)
            // The hyperparameters as the kernel sees them (Float), widened: Float(0.999) is
            // 0.99900001…, so 1 − β2 differs from 0.001 by 1.3e-5 relative.
            let (lr, beta1, beta2, eps, decay) = (Double(Float(1e-3)), Double(Float(0.9)),
                                                  Double(Float(0.999)), Double(Float(1e-8)), Double(Float(0.1)))
            for step in 1...5 {
                // Gradients of varied magnitude, including exact zeros.
                let grads = (0..<count).map { i -> Float in i % 7 == 0 ? 0 : random.uniform() * (i % 2 == 0 ? 1e-4 : 3) }
                adamwUpdate(params: params, grads: arena.buffer(grads), m: mBuffer, v: vBuffer, count: count,
                            learningRate: Float(lr), beta1: Float(beta1), beta2: Float(beta2),
                            eps: Float(eps), weightDecay: Float(decay), step: step)
                for i in 0..<count {
                    let g = Double(grads[i])
                    m[i] = beta1 * m[i] + (1 - beta1) * g
                    v[i] = beta2 * v[i] + (1 - beta2) * g * g
                    let mHat = m[i] / (1 - pow(beta1, Double(step)))
                    let vHat = v[i] / (1 - pow(beta2, Double(step)))
                    p[i] -= lr * (mHat / (sqrt(vHat) + eps) + decay * p[i])
                }
                let label = "count \(count) step \(step)"
                assertClose(values(params, count), p.map(Float.init), absolute: 1e-6, relative: 1e-5, label)
                assertClose(values(mBuffer, count), m.map(Float.init), absolute: 1e-9, relative: 1e-5, label)
                assertClose(values(vBuffer, count), v.map(Float.init), absolute: 1e-12, relative: 1e-5, label)
            }
        }
    }

    func testMatchesNaiveKernelAndIsDeterministic() {
        var random = TestRandom(seed: 52)
        let count = 100_003
        let start = random.floats(count), grads = random.floats(count, -2, 2)
        let firstMoment = random.floats(count, -0.1, 0.1), secondMoment = random.floats(count, 0, 0.01)
        func run(_ kernel: @escaping (UnsafeMutablePointer<Float>, UnsafePointer<Float>, UnsafeMutablePointer<Float>,
                                      UnsafeMutablePointer<Float>, Int, Float, Float, Float, Float, Float, Int) -> Void) -> [Float] {
            let p = arena.buffer(start), m = arena.buffer(firstMoment), v = arena.buffer(secondMoment)
            kernel(p, arena.buffer(grads), m, v, count, 3e-4, 0.9, 0.95, 1e-8, 0.01, 7)
            return values(p, count) + values(m, count) + values(v, count)
        }
        let results = withThreadCounts { run { adamwUpdate(params: $0, grads: $1, m: $2, v: $3, count: $4, learningRate: $5, beta1: $6, beta2: $7, eps: $8, weightDecay: $9, step: $10) } }
        assertBitwiseEqual(results[0], results[1])
        assertBitwiseEqual(results[0], results[2])
        assertClose(results[0], run { adamwUpdateNaive(params: $0, grads: $1, m: $2, v: $3, count: $4, learningRate: $5, beta1: $6, beta2: $7, eps: $8, weightDecay: $9, step: $10) },
                    absolute: 1e-7, relative: 1e-5)
    }

    /// A gradient scale (clipping folded into the update) gives, bit for bit, the update on
    /// gradients scaled beforehand by `vectorAffine` (what `clipGradientNorm` writes), for any
    /// thread count; and the naive kernel within 1e-7 absolute + 1e-5 relative.
    func testGradientScaleEqualsPrescaledGradients() {
        var random = TestRandom(seed: 53)
        let count = 70_001, scale: Float = 0.37
        let start = random.floats(count), grads = random.floats(count, -2, 2)
        func run(prescaled: Bool, naive: Bool = false) -> [Float] {
            let p = arena.buffer(start), m = arena.buffer(repeating: Float(0.01), count: count)
            let v = arena.buffer(repeating: Float(0.001), count: count), g = arena.buffer(grads)
            if prescaled { vectorAffine(out: g, x: g, alpha: scale, beta: 0, count: count) }
            let kernel = naive ? adamwUpdateNaive : adamwUpdate
            kernel(p, g, m, v, count, 3e-4, 0.9, 0.95, 1e-8, 0.1, 3, prescaled ? 1 : scale)
            return values(p, count) + values(m, count) + values(v, count)
        }
        let reference = run(prescaled: true)
        let results = withThreadCounts { run(prescaled: false) }
        for result in results { assertBitwiseEqual(result, reference) }
        assertClose(reference, run(prescaled: false, naive: true), absolute: 1e-7, relative: 1e-5)
    }

    /// The square root is built from a bit trick: check it where v is 0 (no NaN, the update
    /// is only weight decay) and for huge gradients.
    func testZeroAndHugeGradients() {
        let p = arena.buffer([Float](repeating: 1, count: 3))
        let m = arena.buffer([Float](repeating: 0, count: 3)), v = arena.buffer([Float](repeating: 0, count: 3))
        adamwUpdate(params: p, grads: arena.buffer([0, 1e18, -1e-20]), m: m, v: v, count: 3,
                    learningRate: 0.1, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0.5, step: 1)
        let result = values(p, 3)
        XCTAssertEqual(result[0], 1 - 0.1 * 0.5, accuracy: 1e-7)
        XCTAssertEqual(result[1], 1 - 0.1 * (1 + 0.5), accuracy: 1e-6)  // Adam's step is ±lr
        XCTAssertEqual(result[2], 1 - 0.1 * (-1e-20 / (1e-20 + 1e-8) + 0.5), accuracy: 1e-6)
    }
}
