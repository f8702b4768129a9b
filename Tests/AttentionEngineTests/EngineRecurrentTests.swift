import AttentionEngine
import Foundation
import XCTest

/// Elman RNN, GRU and LSTM: one step against the equations in Double, gradients through the
/// unrolled sequence by finite differences, initial states, bad shapes, and each learning to
/// reverse a short sequence.
final class EngineRecurrentTests: XCTestCase {
    private func sigmoid(_ v: Double) -> Double { 1 / (1 + exp(-v)) }

    /// Row `row` of W·x + b in Double, with W (rows, n) and x (n).
    private func affine(_ w: Parameter, _ b: Parameter, _ x: [Float], row: Int) -> Double {
        let n = x.count, ws = w.value.scalars
        return (0..<n).reduce(Double(b.value.scalars[row])) { $0 + Double(ws[row * n + $1]) * Double(x[$1]) }
    }

    /// One step from a given state, batch 1, against PyTorch's equations (1e-5 absolute).
    func testSingleStepMatchesEquations() throws {
        var rng = Random(seed: 1)
        let (inputSize, hidden) = (3, 5)
        let x = randomTensor([1, 1, inputSize], seed: 2), h0 = randomTensor([1, hidden], seed: 3), c0 = randomTensor([1, hidden], seed: 4)
        let xs = x.scalars, hs = h0.scalars, cs = c0.scalars

        let elman = try ElmanRNN(inputSize: inputSize, hiddenSize: hidden, rng: &rng)
        let p = Dictionary(uniqueKeysWithValues: elman.namedParameters.map { ($0.name, $0.parameter) })
        let gate = { (g: Int, j: Int) -> (Double, Double) in
            (self.affine(p["weight_ih"]!, p["bias_ih"]!, xs, row: g * hidden + j),
             self.affine(p["weight_hh"]!, p["bias_hh"]!, hs, row: g * hidden + j))
        }
        assertClose(try elman(x, initialState: h0).state.scalars,
                    (0..<hidden).map { j in let (a, b) = gate(0, j); return Float(tanh(a + b)) }, absolute: 1e-5)

        let gru = try GRU(inputSize: inputSize, hiddenSize: hidden, rng: &rng)
        let q = Dictionary(uniqueKeysWithValues: gru.namedParameters.map { ($0.name, $0.parameter) })
        let expectedGRU = (0..<hidden).map { j -> Float in
            let g = { (k: Int) in (self.affine(q["weight_ih"]!, q["bias_ih"]!, xs, row: k * hidden + j),
                                   self.affine(q["weight_hh"]!, q["bias_hh"]!, hs, row: k * hidden + j)) }
            let r = sigmoid(g(0).0 + g(0).1), z = sigmoid(g(1).0 + g(1).1)
            let n = tanh(g(2).0 + r * g(2).1)
            return Float((1 - z) * n + z * Double(hs[j]))
        }
        assertClose(try gru(x, initialState: h0).state.scalars, expectedGRU, absolute: 1e-5)

        let lstm = try LSTM(inputSize: inputSize, hiddenSize: hidden, rng: &rng)
        let l = Dictionary(uniqueKeysWithValues: lstm.namedParameters.map { ($0.name, $0.parameter) })
        var expectedH: [Float] = [], expectedC: [Float] = []
        for j in 0..<hidden {
            let g = { (k: Int) in self.affine(l["weight_ih"]!, l["bias_ih"]!, xs, row: k * hidden + j)
                + self.affine(l["weight_hh"]!, l["bias_hh"]!, hs, row: k * hidden + j) }
            let c = sigmoid(g(1)) * Double(cs[j]) + sigmoid(g(0)) * tanh(g(2))
            expectedC.append(Float(c))
            expectedH.append(Float(sigmoid(g(3)) * tanh(c)))
        }
        let (_, state) = try lstm(x, initialState: (h0, c0))
        assertClose(state.h.scalars, expectedH, absolute: 1e-5)
        assertClose(state.c.scalars, expectedC, absolute: 1e-5)
    }

    func testGradientsThroughTime() throws {
        var rng = Random(seed: 5)
        let x = randomTensor([2, 4, 3], seed: 6), h0 = randomTensor([2, 5], seed: 7), c0 = randomTensor([2, 5], seed: 8)
        let elman = try ElmanRNN(inputSize: 3, hiddenSize: 5, rng: &rng)
        try checkGradients(inputs: [x, h0], parameters: elman.parameters) { try elman($0[0], initialState: $0[1]).output }
        let gru = try GRU(inputSize: 3, hiddenSize: 5, rng: &rng)
        try checkGradients(inputs: [x, h0], parameters: gru.parameters) { try gru($0[0], initialState: $0[1]).output }
        let lstm = try LSTM(inputSize: 3, hiddenSize: 5, rng: &rng)
        // Both outputs of the LSTM, the sequence and the last cell state, enter the objective.
        try checkGradients(inputs: [x, h0, c0], parameters: lstm.parameters) {
            let (output, state) = try lstm($0[0], initialState: ($0[1], $0[2]))
            return try Tensor.concatenated([output.reshaped([-1]), state.c.reshaped([-1])], along: 0)
        }
    }

    func testShapesAndErrors() throws {
        var rng = Random(seed: 1)
        let gru = try GRU(inputSize: 3, hiddenSize: 4, rng: &rng)
        XCTAssertEqual(gru.namedParameters.map(\.name), ["weight_ih", "weight_hh", "bias_ih", "bias_hh"])
        XCTAssertEqual(gru.namedParameters.map(\.parameter.shape), [[12, 3], [12, 4], [12], [12]])
        let (output, state) = try gru(Tensor.zeros([2, 0, 3]))
        XCTAssertEqual(output.shape, [2, 0, 4])
        XCTAssertEqual(state.scalars, [Float](repeating: 0, count: 8))
        assertThrowsAttentionError(["GRU(3 → 4)", "[2, 5, 2]"]) { _ = try gru(Tensor.zeros([2, 5, 2])) }
        assertThrowsAttentionError(["GRU(3 → 4)", "initial state", "[3, 4]"]) {
            _ = try gru(Tensor.zeros([2, 5, 3]), initialState: Tensor.zeros([3, 4]))
        }
        assertThrowsAttentionError(["LSTM", "-1"]) { _ = try LSTM(inputSize: -1, hiddenSize: 2, rng: &rng) }
    }

    /// Reversing: the network reads 4 bits, then during 4 more steps (blank input) must output
    /// them in reverse order; the first 4 outputs are ignored by the loss (ignore index). All 16
    /// sequences form one batch; after training, every output bit must be exact.
    private func learnsToReverse(_ run: (Tensor) throws -> Tensor, parameters: [Parameter], readout: Linear,
                                 steps: Int, file: StaticString = #filePath, line: UInt = #line) throws {
        let length = 4, batch = 16
        var inputs: [Float] = [], targets: [Int32] = []
        for n in 0..<batch {
            let bits = (0..<length).map { (n >> $0) & 1 }
            for t in 0..<(2 * length) {
                // One-hot over {0, 1, blank}.
                let symbol = t < length ? bits[t] : 2
                inputs += (0..<3).map { $0 == symbol ? 1 : 0 }
                targets.append(t < length ? -100 : Int32(bits[2 * length - 1 - t]))
            }
        }
        let x = try Tensor(shape: [batch, 2 * length, 3], values: inputs)
        let optimizer = try Adam(parameters + readout.parameters, learningRate: 0.03)
        for _ in 0..<steps {
            optimizer.zeroGrad()
            try readout(run(x)).crossEntropyLoss(targets: targets).backward()
            optimizer.step()
        }
        let logits = try Autograd.withNoGrad { try readout(run(x)) }.scalars
        var wrong = 0
        for (row, target) in targets.enumerated() where target != -100 {
            let predicted = logits[row * 2] > logits[row * 2 + 1] ? 0 : 1
            if predicted != target { wrong += 1 }
        }
        XCTAssertEqual(wrong, 0, "wrong output bits out of 64", file: file, line: line)
    }

    func testElmanLearnsToReverse() throws {
        var rng = Random(seed: 21)
        let rnn = try ElmanRNN(inputSize: 3, hiddenSize: 24, rng: &rng)
        let readout = try Linear(inFeatures: 24, outFeatures: 2, rng: &rng)
        try learnsToReverse({ try rnn($0).output }, parameters: rnn.parameters, readout: readout, steps: 300)
    }

    func testGRULearnsToReverse() throws {
        var rng = Random(seed: 22)
        let rnn = try GRU(inputSize: 3, hiddenSize: 24, rng: &rng)
        let readout = try Linear(inFeatures: 24, outFeatures: 2, rng: &rng)
        try learnsToReverse({ try rnn($0).output }, parameters: rnn.parameters, readout: readout, steps: 300)
    }

    func testLSTMLearnsToReverse() throws {
        var rng = Random(seed: 23)
        let rnn = try LSTM(inputSize: 3, hiddenSize: 24, rng: &rng)
        let readout = try Linear(inFeatures: 24, outFeatures: 2, rng: &rng)
        try learnsToReverse({ try rnn($0).output }, parameters: rnn.parameters, readout: readout, steps: 300)
    }
}
