import AttentionEngine
import XCTest

/// Issue 19: a batch size from outside that cannot fit is an `.outOfMemory` error thrown before
/// anything is allocated (`attn train --batch-size 100000000` aborted with "failed to allocate").
final class MemoryBudgetTests: XCTestCase {
    func testAbsurdRequestsThrowOutOfMemory() {
        assertAttentionError(try MemoryBudget.require(floats: 1e30, for: "a test"), .outOfMemory, ["a test", "10^18"])
        assertAttentionError(try MemoryBudget.require(floats: .infinity, for: "x"), .outOfMemory, ["x"])
        assertAttentionError(try MemoryBudget.require(floats: .nan, for: "x"), .outOfMemory, ["x"])
        assertAttentionError(try MemoryBudget.require(floats: MemoryBudget.physicalBytes, for: "half"), .outOfMemory, ["MB"])
        XCTAssertNoThrow(try MemoryBudget.require(floats: 1e6, for: "small"))
    }

    func testTrainerRefusesAHugeBatchBeforeAllocating() throws {
        let tokenizer = try CharTokenizer(corpus: DefaultData.corpus)
        let model = try GPT(config: GPTConfig(nLayer: 1, nHead: 1, nEmbd: 8, contextLength: 16,
                                              vocabularySize: tokenizer.vocabularySize), seed: 1)
        let data = try TextBatches(text: DefaultData.corpus, tokenizer: tokenizer, contextLength: 16)
        for batchSize in [100_000_000, Int.max / 2] {
            assertAttentionError(try Trainer(model: model, data: data, config: TrainingConfig(steps: 2, batchSize: batchSize)),
                                 .outOfMemory, ["training batches of \(batchSize)"])
        }
    }
}
