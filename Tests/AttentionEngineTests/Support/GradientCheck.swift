import AttentionEngine
import XCTest

/// Finite-difference gradient checks for engine ops, layers and losses.
///
/// The engine computes in Float, so the reference is a central difference of the Float forward
/// with the scalar objective L = Σ out · w (w fixed, seeded, in [-1, 1)) accumulated in Double:
/// dL/dx ≈ (L(x + h) − L(x − h)) / 2h with h = 1e-2 by default. Truncation error is O(h²·f''')
/// and rounding error about 1e-7·Σ|out| / h, so the default tolerance is 2e-3 absolute plus
/// 2e-2 relative; tests of smooth, well-scaled functions may tighten it.
func checkGradients(inputs: [Tensor], parameters: [Parameter] = [], step: Float = 1e-2,
                    absolute: Float = 2e-3, relative: Float = 2e-2, samples: Int = 24,
                    seed: UInt64 = 7, _ function: ([Tensor]) throws -> Tensor,
                    file: StaticString = #filePath, line: UInt = #line) throws {
    var leaves = inputs.map { $0.requiringGrad() }
    parameters.forEach { $0.zeroGrad() }
    let out = try function(leaves)
    var random = TestRandom(seed: seed)
    let weights = try Tensor(shape: out.shape, values: random.floats(out.count))
    try (out * weights).sum().backward()
    func objective(_ values: [Tensor]) throws -> Double {
        let out = try Autograd.withNoGrad { try function(values) }
        return zip(out.scalars, weights.scalars).reduce(0.0) { $0 + Double($1.0) * Double($1.1) }
    }

    // Up to `samples` indices of each tensor, spread evenly, always including the ends.
    func indices(_ count: Int) -> [Int] {
        guard count > samples else { return Array(0..<count) }
        return (0..<samples).map { $0 * (count - 1) / (samples - 1) }
    }

    for (k, leaf) in leaves.enumerated() {
        let analytic = leaf.grad?.scalars ?? [Float](repeating: 0, count: leaf.count)
        var numeric: [Float] = [], expected: [Float] = []
        for i in indices(leaf.count) {
            let original = leaf[flat: i]
            leaves[k][flat: i] = original + step
            let plus = try objective(leaves)
            leaves[k][flat: i] = original - step
            let minus = try objective(leaves)
            leaves[k][flat: i] = original
            numeric.append(Float((plus - minus) / (2 * Double(step))))
            expected.append(analytic[i])
        }
        assertClose(expected, numeric, absolute: absolute, relative: relative,
                    "input \(k) \(leaf.shape)", file: file, line: line)
    }
    for (k, parameter) in parameters.enumerated() {
        let analytic = parameter.grad?.scalars ?? [Float](repeating: 0, count: parameter.value.count)
        var numeric: [Float] = [], expected: [Float] = []
        for i in indices(parameter.value.count) {
            let original = parameter.value[flat: i]
            parameter.update { value, _, _ in value[i] = original + step }
            let plus = try objective(leaves)
            parameter.update { value, _, _ in value[i] = original - step }
            let minus = try objective(leaves)
            parameter.update { value, _, _ in value[i] = original }
            numeric.append(Float((plus - minus) / (2 * Double(step))))
            expected.append(analytic[i])
        }
        assertClose(expected, numeric, absolute: absolute, relative: relative,
                    "parameter \(k) \(parameter.shape)", file: file, line: line)
    }
}

/// Seeded uniform tensor of `shape` in [low, high).
func randomTensor(_ shape: [Int], seed: UInt64, _ low: Float = -1, _ high: Float = 1) -> Tensor {
    var random = TestRandom(seed: seed)
    return try! Tensor(shape: shape, values: random.floats(shape.reduce(1, *), low, high))
}

/// Asserts that `body` throws an `AttentionError` whose message contains every one of `fragments`.
func assertThrowsAttentionError(_ fragments: [String], file: StaticString = #filePath, line: UInt = #line,
                                _ body: () throws -> Void) {
    do {
        try body()
        XCTFail("expected an error mentioning \(fragments)", file: file, line: line)
    } catch let error as AttentionError {
        for fragment in fragments where !error.message.contains(fragment) {
            XCTFail("error '\(error.message)' does not mention '\(fragment)'", file: file, line: line)
        }
    } catch {
        XCTFail("unexpected error type: \(error)", file: file, line: line)
    }
}
