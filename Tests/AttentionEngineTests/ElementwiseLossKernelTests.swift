import AttentionEngine
import XCTest

/// The L1 and MSE loss kernels against their Double references: forward values, and backward
/// gradients also against central finite differences of the forward in Double.
final class ElementwiseLossKernelTests: XCTestCase {
    private let arena = TestArena()

    private typealias Backward = (UnsafeMutablePointer<Float>, UnsafePointer<Float>, UnsafePointer<Float>, Int, Float) -> Void

    private func checkBackward(_ name: String, fast: Backward, naive: Backward,
                               loss: ([Double], [Double]) -> Double) {
        var random = TestRandom(seed: 61)
        for count in elementwiseTestSizes {
            var pred = random.floats(count)
            let label = random.floats(count)
            if count > 2 { pred[1] = label[1] }  // sign(0) = 0 for L1
            let scale: Float = 0.7
            let dFast = arena.buffer(repeating: Float.nan, count: count), dNaive = arena.buffer(repeating: Float.nan, count: count)
            fast(dFast, arena.buffer(pred), arena.buffer(label), count, scale)
            naive(dNaive, arena.buffer(pred), arena.buffer(label), count, scale)
            // 1e-7 relative: one Float multiply against Double.
            assertClose(values(dFast, count), values(dNaive, count), absolute: 1e-9, relative: 1e-6, "\(name) count \(count)")
            // Finite differences (h = 1e-4) of scale · loss in Double, away from L1's kink.
            let p = pred.map(Double.init), l = label.map(Double.init), h = 1e-4
            for i in 0..<count where abs(p[i] - l[i]) > 2 * h {
                var plus = p, minus = p
                plus[i] += h
                minus[i] -= h
                let numeric = Double(scale) * (loss(plus, l) - loss(minus, l)) / (2 * h)
                XCTAssertEqual(Double(dNaive[i]), numeric, accuracy: 1e-6 + 1e-4 * abs(numeric), "\(name) count \(count) i \(i)")
            }
        }
    }

    func testL1BackwardMatchesReferenceAndFiniteDifferences() {
        checkBackward("l1", fast: { l1LossBackward(dpred: $0, pred: $1, label: $2, count: $3, scale: $4) },
                      naive: { l1LossBackwardNaive(dpred: $0, pred: $1, label: $2, count: $3, scale: $4) },
                      loss: { p, l in zip(p, l).reduce(0) { $0 + abs($1.0 - $1.1) } / Double(p.count) })
    }

    func testMSEBackwardMatchesReferenceAndFiniteDifferences() {
        checkBackward("mse", fast: { mseLossBackward(dpred: $0, pred: $1, label: $2, count: $3, scale: $4) },
                      naive: { mseLossBackwardNaive(dpred: $0, pred: $1, label: $2, count: $3, scale: $4) },
                      loss: { p, l in zip(p, l).reduce(0) { $0 + ($1.0 - $1.1) * ($1.0 - $1.1) } / Double(p.count) })
    }
}
