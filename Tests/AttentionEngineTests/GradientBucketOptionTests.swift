import AttentionEngine
import XCTest

/// The options of the overlapped gradient sum (docs/distributed.md): a bucket size below one
/// byte is refused by name; any size from one byte up is valid (beyond all gradients: one bucket).
/// The sums themselves run under mpirun (Tests/cli/test_mpi_training.py).
final class GradientBucketOptionTests: XCTestCase {
    func testBucketSizeBelowOneByteIsRefused() {
        for bytes in [0, -1, Int.min] {
            XCTAssertThrowsError(try TrainingConfig(steps: 1, batchSize: 1, gradientBucketBytes: bytes).validate()) {
                XCTAssertTrue("\($0)".contains("gradient bucket size \(bytes) bytes must be >= 1"), "\($0)")
            }
        }
    }

    func testAnyBucketSizeFromOneByteIsValidAndOverlapIsTheDefault() throws {
        for bytes in [1, TrainingConfig.defaultGradientBucketBytes, Int.max] {
            XCTAssertNoThrow(try TrainingConfig(steps: 1, batchSize: 1, gradientBucketBytes: bytes).validate())
        }
        let config = TrainingConfig(steps: 1, batchSize: 1)
        XCTAssertTrue(config.overlapsGradientSum)
        XCTAssertEqual(config.gradientBucketBytes, 1 << 20)
    }
}
