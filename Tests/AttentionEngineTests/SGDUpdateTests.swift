import AttentionEngine
import XCTest

/// sgdUpdate against its Double reference, for every combination of momentum, Nesterov, weight
/// decay and first step, at sizes around the 16-lane blocks.
final class SGDUpdateTests: XCTestCase {
    private let arena = TestArena()

    /// 1e-6 absolute + 1e-6 relative: one or two FMAs per element in Float against Double.
    func testUpdateMatchesReference() {
        var random = TestRandom(seed: 51)
        for count in elementwiseTestSizes {
            for (momentum, nesterov, weightDecay, firstStep) in [(0, false, 0, false), (0.9, false, 0, true),
                                                                 (0.9, false, 0.1, false), (0.9, true, 0.01, false),
                                                                 (0.5, true, 0, true)] as [(Float, Bool, Float, Bool)] {
                let params = random.floats(count), grads = random.floats(count), velocity = random.floats(count)
                let (fastParams, fastVelocity) = (arena.buffer(params), arena.buffer(velocity))
                let (naiveParams, naiveVelocity) = (arena.buffer(params), arena.buffer(velocity))
                let usesVelocity = momentum != 0
                sgdUpdate(params: fastParams, grads: arena.buffer(grads), velocity: usesVelocity ? fastVelocity : nil,
                          count: count, learningRate: 0.1, momentum: momentum, nesterov: nesterov,
                          weightDecay: weightDecay, firstStep: firstStep)
                sgdUpdateNaive(params: naiveParams, grads: arena.buffer(grads), velocity: usesVelocity ? naiveVelocity : nil,
                               count: count, learningRate: 0.1, momentum: momentum, nesterov: nesterov,
                               weightDecay: weightDecay, firstStep: firstStep)
                let label = "count \(count) momentum \(momentum) nesterov \(nesterov) decay \(weightDecay) first \(firstStep)"
                assertClose(values(fastParams, count), values(naiveParams, count), absolute: 1e-6, relative: 1e-6, label)
                assertClose(values(fastVelocity, count), values(naiveVelocity, count), absolute: 1e-6, relative: 1e-6, label)
                if !usesVelocity { assertBitwiseEqual(values(fastVelocity, count), velocity) }
                // The update moved the parameters (a kernel that did nothing would fail above too).
                XCTAssertNotEqual(values(fastParams, count), params, label)
            }
        }
    }
}
