import AttentionEngine
import XCTest

/// `Parallel.forEachPiece` (the dynamic schedule of the memory-bound products): every index is
/// visited exactly once, in ranges of exactly `piece` items (the last may be shorter), for any
/// thread count, and a call from inside a parallel region runs serially.
final class ParallelPiecesTests: XCTestCase {
    func testEveryIndexOnceInWholePieces() {
        for (count, piece) in [(0, 4), (1, 4), (4, 4), (5, 4), (1000, 7), (1000, 1), (64, 100), (3, 0)] {
            let runs = withThreadCounts([1, 2, 3, 5]) { () -> [Int] in
                let visits = UnsafeMutablePointer<Int>.allocate(capacity: max(count, 1))
                defer { visits.deallocate() }
                visits.initialize(repeating: 0, count: max(count, 1))
                let threads = Parallel.threadCount
                Parallel.forEachPiece(count, piece: piece) { range in
                    // Serial calls take the whole range; parallel ones start on a piece boundary
                    // and are a whole piece unless they end the loop.
                    let serial = count <= piece || threads == 1
                    let step = max(piece, 1)
                    let whole = serial ? range == 0..<count
                        : range.lowerBound % step == 0
                          && (range.count == step || range.upperBound == count)
                    // Ranges are disjoint, so each index is written by one thread only; a
                    // range of the wrong shape marks its indices with 100.
                    for i in range { visits[i] += whole ? 1 : 100 }
                }
                return Array(UnsafeBufferPointer(start: visits, count: count))
            }
            for run in runs {
                XCTAssertEqual(run, [Int](repeating: 1, count: count), "count \(count) piece \(piece)")
            }
        }
    }

    func testNestedCallRunsSerially() {
        let saved = Parallel.threadCount
        defer { Parallel.threadCount = saved }
        Parallel.threadCount = 2
        let sums = UnsafeMutablePointer<Int>.allocate(capacity: 2)
        defer { sums.deallocate() }
        sums.initialize(repeating: 0, count: 2)
        Parallel.forEachChunk(2, grain: 1) { outer in
            for o in outer {
                Parallel.forEachPiece(100, piece: 10) { inner in
                    for i in inner { sums[o] += i }  // one thread per `o`: no race when serial
                }
            }
        }
        XCTAssertEqual([sums[0], sums[1]], [4950, 4950])
    }
}
