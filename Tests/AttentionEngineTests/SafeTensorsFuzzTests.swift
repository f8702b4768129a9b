import AttentionEngine
import XCTest

/// Seeded mutation fuzzing of the reader: a corrupted file must give either a result or an
/// `AttentionError`, never a crash, a hang or another error type.
final class SafeTensorsFuzzTests: XCTestCase {
    func testMutatedFilesNeverCrashTheReader() throws {
        let tensors = [
            SafeTensor(name: "a", shape: [3, 5], data: (0..<15).map(Float.init)),
            SafeTensor(name: "b.weight", shape: [], data: [1]),
            SafeTensor(name: "c", shape: [2, 0], data: []),
        ]
        let f32 = try SafeTensorsFile.write(tensors: tensors, metadata: ["step": "9", "名": "值"])
        // A file with F16 and BF16 tensors too, so their decoding is fuzzed as well.
        let halves = safetensorsFile(
            #"{"h":{"dtype":"F16","shape":[3],"data_offsets":[0,6]},"b":{"dtype":"BF16","shape":[2,1],"data_offsets":[6,10]}}"#,
            data: [0x00, 0x3C, 0x01, 0x00, 0x00, 0x7C, 0x80, 0x3F, 0xC1, 0x7F])
        let directory = try makeTemporaryDirectory()
        defer { removeTemporaryDirectory(directory) }
        let path = directory + "/mutated.safetensors"
        var random = TestRandom(seed: 2024)
        var outcomes = (read: 0, rejected: 0)
        for iteration in 0..<40000 {
            var bytes = iteration % 2 == 0 ? f32 : halves
            for _ in 0..<(1 + random.int(3)) { mutate(&bytes, &random) }
            let fromMemory = Result { try SafeTensorsFile.read(bytes: bytes) }
            switch fromMemory {
            case .success(let file):
                // What was read is self-consistent.
                for tensor in file.tensors {
                    XCTAssertEqual(tensor.data.count, tensor.shape.reduce(1, *))
                }
                outcomes.read += 1
            case .failure(let error):
                XCTAssertTrue(error is AttentionError, "iteration \(iteration): unexpected error \(error)")
                outcomes.rejected += 1
            }
            // Every 40th file also goes through the file reader, which must agree.
            if iteration % 40 == 0 {
                writeFileBytes(path, bytes)
                switch (fromMemory, Result { try SafeTensorsFile.read(path: path) }) {
                case (.success(let a), .success(let b)):
                    XCTAssertEqual(a.tensors, b.tensors)
                    XCTAssertEqual(a.metadata, b.metadata)
                case (.failure(let a as AttentionError), .failure(let b as AttentionError)):
                    XCTAssertEqual("\(path): \(a.message)", b.message)
                default:
                    XCTFail("iteration \(iteration): the memory and file readers disagree")
                }
            }
        }
        // Both outcomes occur: the mutations reach past the first checks.
        XCTAssertGreaterThan(outcomes.read, 400)
        XCTAssertGreaterThan(outcomes.rejected, 20000)
    }

    /// One random edit: bit flip, byte change, truncation, insertion, deletion, or an edit of
    /// the header length field (small deltas and extreme values).
    func mutate(_ bytes: inout [UInt8], _ random: inout TestRandom) {
        let headerEnd = 8 + Int(bytes.count >= 8 ? min(UInt64(bytes.count), bytes[0..<8].reversed().reduce(0) { $0 << 8 | UInt64($1) }) : 0)
        // Half of the edits land in the header, where the structure is.
        func position() -> Int {
            bytes.isEmpty ? 0 : random.int(2) == 0 ? random.int(min(bytes.count, max(headerEnd, 1))) : random.int(bytes.count)
        }
        let interesting: [UInt8] = Array(#"{}[]",:0123456789-.e\u "#.utf8) + [0x00, 0x7F, 0x80, 0xC0, 0xE4, 0xED, 0xF4, 0xFF]
        switch random.int(8) {
        case 0 where !bytes.isEmpty:
            bytes[position()] ^= 1 << UInt8(random.int(8))
        case 1 where !bytes.isEmpty:
            bytes[position()] = interesting[random.int(interesting.count)]
        case 2 where !bytes.isEmpty:
            bytes[position()] = UInt8(truncatingIfNeeded: random.next())
        case 3:
            bytes.removeLast(random.int(min(bytes.count, 16) + 1))
        case 4:
            bytes.insert(interesting[random.int(interesting.count)], at: random.int(bytes.count + 1))
        case 5 where !bytes.isEmpty:
            bytes.remove(at: position())
        case 6 where bytes.count >= 8:
            let deltas: [Int64] = [-8, -1, 1, 8, 1 << 32, -(1 << 40)]
            var length = bytes[0..<8].reversed().reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
            length = UInt64(bitPattern: Int64(bitPattern: length) &+ deltas[random.int(deltas.count)])
            withUnsafeBytes(of: length.littleEndian) { bytes.replaceSubrange(0..<8, with: $0) }
        case 7 where bytes.count >= 8:
            let extremes: [UInt64] = [0, 1, 7, .max, UInt64(Int64.max), UInt64(SafeTensorsFile.maxHeaderByteCount) + 1]
            withUnsafeBytes(of: extremes[random.int(extremes.count)].littleEndian) { bytes.replaceSubrange(0..<8, with: $0) }
        default:
            bytes.append(UInt8(truncatingIfNeeded: random.next()))
        }
    }
}
