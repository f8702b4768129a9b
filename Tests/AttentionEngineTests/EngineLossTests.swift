import AttentionEngine
import Foundation
import XCTest

/// L1, MSE and cross-entropy losses: forward against Double references, backward against finite
/// differences, ignore index, bad targets.
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

    /// Cross-entropy against log-softmax in Double (1e-5), with rows ignored by the ignore index
    /// left out of the mean.
    func testCrossEntropyForward() throws {
        for vocab in [1, 3, 17, 65] {
            let logits = randomTensor([2, 3, vocab], seed: 5, -3, 3)
            let targets: [Int32] = [0, -100, Int32(vocab - 1), Int32(vocab / 2), -100, 0]
            let loss = try logits.crossEntropyLoss(targets: targets).item
            var total = 0.0, rows = 0.0
            for (row, target) in targets.enumerated() where target != -100 {
                let l = logits.scalars[(row * vocab)..<((row + 1) * vocab)].map(Double.init)
                let m = l.max()!
                total += log(l.map { exp($0 - m) }.reduce(0, +)) + m - l[Int(target)]
                rows += 1
            }
            XCTAssertEqual(Double(loss), total / rows, accuracy: 1e-5, "vocab \(vocab)")
        }
        XCTAssertEqual(try Tensor.zeros([2, 4]).crossEntropyLoss(targets: [-1, -1], ignoreIndex: -1).item, 0)
    }

    func testCrossEntropyGradients() throws {
        for vocab in [3, 17] {
            try checkGradients(inputs: [randomTensor([4, vocab], seed: 6, -2, 2)]) {
                try $0[0].crossEntropyLoss(targets: [1, 0, -100, 2])
            }
        }
    }

    func testCrossEntropyErrors() {
        let logits = try! Tensor.zeros([2, 3])
        assertThrowsAttentionError(["crossEntropyLoss", "3 targets", "[2, 3]"]) {
            _ = try logits.crossEntropyLoss(targets: [0, 1, 2])
        }
        assertThrowsAttentionError(["target 3", "0..<3"]) { _ = try logits.crossEntropyLoss(targets: [0, 3]) }
        assertThrowsAttentionError(["target -5"]) { _ = try logits.crossEntropyLoss(targets: [0, -5]) }
    }
}
