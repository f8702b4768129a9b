import AttentionEngine
import XCTest

/// L1 and MSE losses: forward against the Double reference, backward against finite differences.
final class EngineLossTests: XCTestCase {
    func testForwardMatchesReference() throws {
        for n in [1, 3, 17, 255, 5000] {
            let pred = randomTensor([n], seed: 1), label = randomTensor([n], seed: 2)
            let l1 = pred.withUnsafeBufferPointer { p in label.withUnsafeBufferPointer { l in
                l1LossForwardNaive(pred: p.baseAddress!, label: l.baseAddress!, count: n) } }
            let mse = pred.withUnsafeBufferPointer { p in label.withUnsafeBufferPointer { l in
                mseLossForwardNaive(pred: p.baseAddress!, label: l.baseAddress!, count: n) } }
            // Float partial sums flushed to Double: relative error well below 1e-5.
            XCTAssertEqual(Double(try pred.l1Loss(label).item), l1, accuracy: 1e-5 * l1)
            XCTAssertEqual(Double(try pred.mseLoss(label).item), mse, accuracy: 1e-5 * mse)
        }
        XCTAssertEqual(try Tensor([1, -2]).l1Loss(Tensor([0, 0])).item, 1.5)
        XCTAssertEqual(try Tensor([1, -2]).mseLoss(Tensor([0, 0])).item, 2.5)
    }

    func testGradients() throws {
        for n in [1, 17, 63] {
            // Keep |pred − label| ≥ 0.1 away from the kink of |·| so the difference is exact.
            let label = randomTensor([n], seed: 3)
            var pred = randomTensor([n], seed: 4)
            pred.withUnsafeMutableBufferPointer { p in
                label.withUnsafeBufferPointer { l in
                    for i in 0..<n where abs(p[i] - l[i]) < 0.1 { p[i] = l[i] + 0.2 }
                }
            }
            try checkGradients(inputs: [pred, label]) { try $0[0].l1Loss($0[1]) }
            try checkGradients(inputs: [pred, label]) { try $0[0].mseLoss($0[1]) }
        }
    }

    func testShapeMismatch() {
        assertThrowsAttentionError(["MSE", "[2]", "[3]"]) { _ = try Tensor([1, 2]).mseLoss(Tensor([1, 2, 3])) }
        assertThrowsAttentionError(["L1", "[2]", "[3]"]) { _ = try Tensor([1, 2]).l1Loss(Tensor([1, 2, 3])) }
    }
}
