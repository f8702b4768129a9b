import AttentionEngine
import XCTest

/// Writing then reading gives back the same tensors and metadata, bit for bit; the written
/// layout is deterministic; the lookup helpers a model loader uses; F16/BF16 conversion.
final class SafeTensorsRoundTripTests: XCTestCase {
    /// Tensors of many shapes: scalars, zero-size dimensions, sizes that are not multiples of
    /// the SIMD width, and special values (NaN payloads, infinities, subnormals, -0).
    func sampleTensors() -> [SafeTensor] {
        var random = TestRandom(seed: 7)
        let shapes: [[Int]] = [[], [1], [3], [17], [63, 2], [65], [2, 0, 3], [0], [255, 1, 1], [4, 5, 6]]
        var tensors = shapes.enumerated().map { i, shape in
            SafeTensor(name: "t\(i).weight", shape: shape, data: random.floats(shape.reduce(1, *), -3, 3))
        }
        let special: [Float] = [.nan, Float(bitPattern: 0x7FA0_0001), .infinity, -.infinity,
                                .leastNonzeroMagnitude, -.leastNormalMagnitude, -0.0, .greatestFiniteMagnitude]
        tensors.append(SafeTensor(name: "special", shape: [2, 4], data: special))
        tensors.append(SafeTensor(name: "transformer.h.0.attn.c_attn.weight", shape: [3, 9], data: random.floats(27)))
        tensors.append(SafeTensor(name: "名字 with \"quotes\" \\ and\ttab", shape: [1], data: [5]))
        return tensors
    }

    let metadata = ["step": "1200", "config": #"{"n_layer": 2, "n_head": 4}"#, "vocab": "你吃了吗\n\u{1}", "": "empty key"]

    func testRoundTripThroughBytes() throws {
        let tensors = sampleTensors()
        let bytes = try SafeTensorsFile.write(tensors: tensors, metadata: metadata)
        let file = try SafeTensorsFile.read(bytes: bytes)
        XCTAssertEqual(file.metadata, metadata)
        // Tensors come back sorted by name (their order in the file), bit for bit.
        let sorted = tensors.sorted { $0.name.utf8.lexicographicallyPrecedes($1.name.utf8) }
        XCTAssertEqual(file.tensors.map(\.name), sorted.map(\.name))
        for (read, written) in zip(file.tensors, sorted) {
            XCTAssertEqual(read.shape, written.shape, read.name)
            XCTAssertEqual(read.dtype, .f32)
            assertBitwiseEqual(read.data, written.data, read.name)
        }
        XCTAssertEqual(file.tensors, sorted)
    }

    func testRoundTripThroughAFile() throws {
        let directory = try makeTemporaryDirectory()
        defer { removeTemporaryDirectory(directory) }
        let path = directory + "/model.safetensors"
        let tensors = sampleTensors()
        try SafeTensorsFile.write(tensors: tensors, metadata: metadata, to: path)
        // The streamed file and the in-memory bytes are the same.
        XCTAssertEqual(readFileBytes(path), try SafeTensorsFile.write(tensors: tensors, metadata: metadata))
        let file = try SafeTensorsFile.read(path: path)
        XCTAssertEqual(file.tensors, tensors.sorted { $0.name.utf8.lexicographicallyPrecedes($1.name.utf8) })
        XCTAssertEqual(file.metadata, metadata)
    }

    func testLayoutIsDeterministicAndPadded() throws {
        let tensors = sampleTensors()
        let bytes = try SafeTensorsFile.write(tensors: tensors, metadata: metadata)
        XCTAssertEqual(try SafeTensorsFile.write(tensors: tensors.reversed(), metadata: metadata), bytes,
                       "input order does not matter")
        let headerLength = bytes[0..<8].reversed().reduce(0) { $0 << 8 | Int($1) }
        XCTAssertEqual(headerLength % 8, 0, "the data starts 8-byte aligned")
        let header = String(decoding: bytes[8..<8 + headerLength], as: UTF8.self)
        XCTAssertTrue(header.hasPrefix(#"{"__metadata__":{"":"empty key","config":"{\"n_layer\": 2, \"n_head\": 4}","step":"1200","vocab":"你吃了吗\n\u0001"},"special":{"dtype":"F32","shape":[2,4],"data_offsets":[0,32]},"t0.weight":{"dtype":"F32","shape":[],"data_offsets":[32,36]}"#), header)
        XCTAssertTrue(header.hasSuffix("}") || header.hasSuffix(" "))
        XCTAssertEqual(header.trimmingTrailingSpaces.last, "}")
        XCTAssertLessThan(header.count - header.trimmingTrailingSpaces.count, 8)
    }

    func testEmptyFile() throws {
        let bytes = try SafeTensorsFile.write(tensors: [])
        XCTAssertEqual(bytes, [8, 0, 0, 0, 0, 0, 0, 0] + Array("{}      ".utf8))
        let file = try SafeTensorsFile.read(bytes: bytes)
        XCTAssertTrue(file.tensors.isEmpty)
        XCTAssertTrue(file.metadata.isEmpty)
    }

    func testWriterRejectsInconsistentTensors() {
        func assertWriteFails(_ tensors: [SafeTensor], _ kind: AttentionError.Kind, _ fragment: String,
                              line: UInt = #line) {
            XCTAssertThrowsError(try SafeTensorsFile.write(tensors: tensors), line: line) { error in
                XCTAssertEqual((error as? AttentionError)?.kind, kind, line: line)
                XCTAssertTrue("\(error)".contains(fragment), "\(error)", line: line)
            }
        }
        assertWriteFails([SafeTensor(name: "w", shape: [2, 2], data: [1, 2, 3])], .shape, "tensor 'w' has 3 elements, shape [2,2] needs 4")
        assertWriteFails([SafeTensor(name: "w", shape: [-1], data: [])], .shape, "negative dimension")
        assertWriteFails([SafeTensor(name: "w", shape: [1 << 40, 1 << 40], data: [])], .shape, "overflows")
        assertWriteFails([SafeTensor(name: "w", shape: [1], data: [1]), SafeTensor(name: "w", shape: [], data: [2])],
                         .invalidArgument, "duplicate tensor name 'w'")
        assertWriteFails([SafeTensor(name: "__metadata__", shape: [], data: [1])], .invalidArgument, "reserved")
    }

    func testWriterStoresTheDType() throws {
        let tensor = SafeTensor(name: "h", dtype: .f16, shape: [2], data: [0.5, -1])
        let file = try SafeTensorsFile.read(bytes: SafeTensorsFile.write(tensors: [tensor]))
        XCTAssertEqual(file.tensors[0].dtype, .f16)
        XCTAssertEqual(file.tensors[0].data, [0.5, -1])
    }

    func testLookupByNameAndShape() throws {
        let file = try SafeTensorsFile.read(bytes: SafeTensorsFile.write(tensors: sampleTensors()))
        XCTAssertEqual(try file.tensor(named: "t1.weight", shape: [1]).count, 1)
        XCTAssertEqual(try file.tensor(named: "t0.weight").shape, [])
        XCTAssertThrowsError(try file.tensor(named: "t4.weight", shape: [2, 63])) { error in
            XCTAssertEqual(error as? AttentionError, AttentionError(.format, "tensor 't4.weight' has shape [63,2], expected [2,63]"))
        }
        XCTAssertThrowsError(try file.tensor(named: "lm_head.weight", shape: [2])) { error in
            XCTAssertEqual(error as? AttentionError, AttentionError(.format, "missing tensor 'lm_head.weight'"))
        }
    }

    // F16 and BF16 values against hand-computed FP32 bit patterns.

    func testFloat16Conversion() {
        let cases: [(UInt16, UInt32)] = [
            (0x0000, 0x0000_0000), (0x8000, 0x8000_0000),   // ±0
            (0x3C00, 0x3F80_0000), (0xC100, 0xC020_0000),   // 1, -2.5
            (0x7BFF, 0x477F_E000),                          // 65504, the largest F16
            (0x0001, 0x3380_0000),                          // 2^-24, the smallest subnormal
            (0x8001, 0xB380_0000),                          // -2^-24
            (0x03FF, 0x387F_C000),                          // 1023 × 2^-24, the largest subnormal
            (0x0400, 0x3880_0000),                          // 2^-14, the smallest normal
            (0x3555, 0x3EAA_A000),                          // 0.333251953125
            (0x7C00, 0x7F80_0000), (0xFC00, 0xFF80_0000),   // ±inf
            (0x7E00, 0x7FC0_0000), (0xFE00, 0xFFC0_0000),   // quiet NaNs
            (0x7C01, 0x7F80_2000),                          // signalling NaN, payload kept
        ]
        for (half, single) in cases {
            XCTAssertEqual(HalfFloat.float(fromFloat16: half).bitPattern, single,
                           "F16 0x\(String(half, radix: 16))")
        }
        // Every one of the 65536 patterns agrees with the platform's Float16 (except NaNs,
        // whose quieting is platform-defined) — an independent reference.
        for bits in 0...UInt16.max {
            let reference = Float(Float16(bitPattern: bits))
            let ours = HalfFloat.float(fromFloat16: bits)
            if reference.isNaN {
                XCTAssertTrue(ours.isNaN)
            } else if ours.bitPattern != reference.bitPattern {
                XCTFail("F16 0x\(String(bits, radix: 16)): \(ours) vs \(reference)")
                return
            }
        }
    }

    func testBFloat16Conversion() {
        let cases: [(UInt16, UInt32)] = [
            (0x0000, 0x0000_0000), (0x8000, 0x8000_0000), (0x3F80, 0x3F80_0000), (0xC020, 0xC020_0000),
            (0x4049, 0x4049_0000),                          // 3.140625
            (0x0001, 0x0001_0000),                          // 2^-133, subnormal
            (0x7F7F, 0x7F7F_0000),                          // the largest finite BF16
            (0x7F80, 0x7F80_0000), (0xFF80, 0xFF80_0000), (0x7FC1, 0x7FC1_0000),
        ]
        for (half, single) in cases {
            XCTAssertEqual(HalfFloat.float(fromBFloat16: half).bitPattern, single)
        }
        XCTAssertEqual(HalfFloat.float(fromBFloat16: 0x0001), Float(sign: .plus, exponent: -133, significand: 1))
    }

    func testHalfPrecisionTensorsAreWidenedInPlaceCorrectly() throws {
        // Lengths below, at and around the 16-lane vector blocks (the remainder is scalar).
        for count in [0, 1, 2, 3, 15, 16, 17, 31, 32, 33, 63, 64, 65, 255] {
            var random = TestRandom(seed: UInt64(count))
            let halves = (0..<count).map { _ in UInt16(truncatingIfNeeded: random.next()) }
            let data = halves.flatMap { [UInt8($0 & 0xFF), UInt8($0 >> 8)] }
            for (dtype, convert) in [("F16", HalfFloat.float(fromFloat16:)), ("BF16", HalfFloat.float(fromBFloat16:))] {
                let header = #"{"x":{"dtype":"\#(dtype)","shape":[\#(count)],"data_offsets":[0,\#(2 * count)]}}"#
                let tensor = try SafeTensorsFile.read(bytes: safetensorsFile(header, data: data)).tensors[0]
                XCTAssertEqual(tensor.dtype.rawValue, dtype)
                assertBitwiseEqual(tensor.data, halves.map(convert), "\(dtype) × \(count)")
            }
        }
    }
}

extension SafeTensorsRoundTripTests {
    func testVectorWideningMatchesTheScalarConversionForEveryPattern() {
        // All 65536 patterns (every subnormal, infinity and NaN payload), in one buffer so the
        // 16-lane blocks see them all; compared bit for bit with the scalar conversions.
        let patterns = (0...UInt16.max).map { $0 }
        for (format, convert) in [(HalfFloat.Format.float16, HalfFloat.float(fromFloat16:)),
                                  (.bfloat16, HalfFloat.float(fromBFloat16:))] {
            var buffer = [Float](repeating: 0, count: patterns.count)
            buffer.withUnsafeMutableBytes { raw in
                patterns.withUnsafeBytes { raw.copyMemory(from: $0) }
                HalfFloat.widenInPlace(raw.baseAddress!, count: patterns.count, from: format)
            }
            assertBitwiseEqual(buffer, patterns.map(convert), "\(format)")
        }
    }
}

private extension String {
    var trimmingTrailingSpaces: Substring {
        var text = self[...]
        while text.last == " " { text = text.dropLast() }
        return text
    }
}
