import AttentionEngine
import Dispatch
import XCTest

/// `StepProfile`: the per-op breakdown of a training step (what `attn bench --suite models`
/// prints). No timing thresholds: the tests check which categories appear, that they add up to
/// the step they timed, and that profiling changes no result.
final class StepProfileTests: XCTestCase {
    private let batch = 2, time = 8

    private func trainerAndLoss(seed: UInt64 = 1) throws -> (GPT, Trainer, Trainer.TrainingLoss) {
        let gpt = try GPT(config: GPTConfig(nLayer: 2, nHead: 2, nEmbd: 32, contextLength: time, vocabularySize: 11),
                          seed: seed)
        let trainer = try Trainer(module: gpt, config: TrainingConfig(steps: 100, batchSize: batch))
        let (batch, time) = (self.batch, self.time)
        // Row r of the batch: tokens 7·(r·(T+1) + t) mod 11; targets are the inputs shifted by one.
        var inputs: [Int32] = [], targets: [Int32] = []
        for row in 0..<batch {
            for t in 0..<time {
                let position: Int = row * (time + 1) + t
                inputs.append(Int32(position * 7 % 11))
                targets.append(Int32((position + 1) * 7 % 11))
            }
        }
        return (gpt, trainer, { _ in (try gpt.loss(tokens: inputs, targets: targets, batch: batch, time: time), batch * time) })
    }

    func testTrainingStepBreakdownListsEveryPartOfTheStep() throws {
        let (gpt, trainer, loss) = try trainerAndLoss()
        _ = try trainer.step(loss)  // buffers and optimizer moments exist from now on
        let started = DispatchTime.now().uptimeNanoseconds
        let (_, profile) = try StepProfile.measure(naming: gpt) { try trainer.step(loss) }
        let wall = Double(DispatchTime.now().uptimeNanoseconds - started) * 1e-9
        let categories = Set(profile.entries.map(\.category))
        for expected in ["linear attn.c_attn", "linear attn.c_proj", "linear mlp.c_fc", "linear mlp.c_proj",
                         "attention", "gelu", "layernorm ln_1", "layernorm ln_2", "layernorm ln_f",
                         "LM head + cross-entropy wte", "embedding wte", "split heads", "merge heads", "add"] {
            XCTAssertTrue(categories.contains(expected + " forward"), "missing \(expected) forward in \(categories)")
            XCTAssertTrue(categories.contains(expected + " backward"), "missing \(expected) backward in \(categories)")
        }
        for phase in ["zero gradients", "tape: sort", "tape: gradient buffers", "tape: gradient accumulation",
                      "gradient clipping", "AdamW"] {
            XCTAssertTrue(categories.contains(phase), "missing \(phase) in \(categories)")
        }
        // One linear op per layer and kind, forward and backward.
        let calls = Dictionary(uniqueKeysWithValues: profile.entries.map { ($0.category, $0.calls) })
        XCTAssertEqual(calls["linear mlp.c_fc forward"], 2)
        XCTAssertEqual(calls["linear mlp.c_fc backward"], 2)
        XCTAssertEqual(calls["AdamW"], 1)
        // The intervals tile the measured body: their sum is its duration, within the wall time
        // measured around it.
        XCTAssertTrue(profile.entries.allSatisfy { $0.seconds >= 0 })
        XCTAssertGreaterThan(profile.totalSeconds, 0)
        XCTAssertLessThanOrEqual(profile.totalSeconds, wall)
        XCTAssertGreaterThan(profile.totalSeconds, 0.5 * wall)
    }

    func testProfilingChangesNoResult() throws {
        let (plainModel, plainTrainer, plainLoss) = try trainerAndLoss()
        let (profiledModel, profiledTrainer, profiledLoss) = try trainerAndLoss()
        for _ in 0..<2 {
            let plain = try plainTrainer.step(plainLoss).loss
            let profiled = try StepProfile.measure(naming: profiledModel) { try profiledTrainer.step(profiledLoss) }
            XCTAssertEqual(plain.bitPattern, profiled.result.loss.bitPattern)
        }
        for ((name, a), (_, b)) in zip(plainModel.namedParameters, profiledModel.namedParameters) {
            XCTAssertEqual(a.value.scalars.map(\.bitPattern), b.value.scalars.map(\.bitPattern), name)
        }
    }

    func testOutsideAProfileNothingIsRecordedAndProfilesDoNotLeak() throws {
        XCTAssertNil(StepProfile.current)
        let (_, trainer, loss) = try trainerAndLoss()
        let (_, outer) = try StepProfile.measure {
            let inner = try StepProfile.measure { try trainer.step(loss) }.profile
            XCTAssertTrue(inner.entries.contains { $0.category == "AdamW" })
            return 0
        }
        // The inner profile timed the step; the outer one saw only what came after it.
        XCTAssertFalse(outer.entries.contains { $0.category == "AdamW" })
        XCTAssertNil(StepProfile.current)
        // Without a module, linear ops keep their plain name.
        let (_, unnamed) = try StepProfile.measure { try trainer.step(loss) }
        XCTAssertTrue(unnamed.entries.contains { $0.category == "linear forward" })
    }

    func testLayerKindDropsTheRootIndicesAndParameterName() {
        XCTAssertEqual(StepProfile.layerKind(of: "transformer.h.11.mlp.c_fc.weight"), "mlp.c_fc")
        XCTAssertEqual(StepProfile.layerKind(of: "transformer.wte.weight"), "wte")
        XCTAssertEqual(StepProfile.layerKind(of: "decoder.h.0.cross_attn.q_proj.bias"), "decoder.cross_attn.q_proj")
        XCTAssertEqual(StepProfile.layerKind(of: "weight"), "weight")
    }
}
