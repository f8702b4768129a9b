import AttentionEngine
import XCTest

/// Interoperability with the Python `safetensors` package, through committed fixtures (read by
/// path relative to this file: the test target has no resources).
///
/// - Fixtures/python_written.safetensors comes from Fixtures/make_safetensors_fixture.py.
/// - Fixtures/swift_written.safetensors is what our writer produces for `swiftWrittenContents`;
///   bindings/python/tests/test_safetensors_interop.py opens it with the Python package.
final class SafeTensorsInteropTests: XCTestCase {
    static let fixtures: String = {
        let path = "\(#filePath)"
        return path[..<(path.lastIndex(of: "/") ?? path.startIndex)] + "/Fixtures"
    }()

    func bits(_ values: [Float]) -> [UInt32] { values.map(\.bitPattern) }

    func testReadsAFileWrittenByPython() throws {
        let file = try SafeTensorsFile.read(path: Self.fixtures + "/python_written.safetensors")
        XCTAssertEqual(file.metadata, ["format": "pt", "note": "你好, \"quoted\"\n"])
        XCTAssertEqual(Set(file.tensors.map(\.name)), ["f32.values", "f16.values", "bf16.values", "scalar", "empty"])

        let f32 = try file.tensor(named: "f32.values")
        XCTAssertEqual(f32.dtype, .f32)
        XCTAssertEqual(f32.shape, [2, 4])
        XCTAssertEqual(bits(f32.data), [0x0000_0000, 0x8000_0000, 0x3F80_0000, 0xC020_0000,
                                        0x7F7F_FFFF, 0x0000_0001, 0x7F80_0000, 0x7FC0_0001])

        // F16 values widened exactly: 0, -0, 1, -2.5, 65504, 2^-24, 1023 × 2^-24, 2^-14,
        // inf, -inf, quiet NaN, signalling NaN with payload 1 (mantissa shifted left by 13).
        let f16 = try file.tensor(named: "f16.values")
        XCTAssertEqual(f16.dtype, .f16)
        XCTAssertEqual(f16.shape, [3, 4])
        XCTAssertEqual(Array(f16.data[0..<8]), [0, -0.0, 1, -2.5, 65504, 0x1p-24, 1023 * 0x1p-24, 0x1p-14])
        XCTAssertEqual(bits(f16.data), [0x0000_0000, 0x8000_0000, 0x3F80_0000, 0xC020_0000,
                                        0x477F_E000, 0x3380_0000, 0x387F_C000, 0x3880_0000,
                                        0x7F80_0000, 0xFF80_0000, 0x7FC0_0000, 0x7F80_2000])

        // BF16: 0, -0, 1, -2.5, 3.140625, 2^-133 (subnormal), inf, -inf, NaN payload 1.
        let bf16 = try file.tensor(named: "bf16.values")
        XCTAssertEqual(bf16.dtype, .bf16)
        XCTAssertEqual(bf16.shape, [9])
        XCTAssertEqual(Array(bf16.data[0..<6]), [0, -0.0, 1, -2.5, 3.140625, 0x1p-133])
        XCTAssertEqual(bits(bf16.data), [0x0000_0000, 0x8000_0000, 0x3F80_0000, 0xC020_0000,
                                         0x4049_0000, 0x0001_0000, 0x7F80_0000, 0xFF80_0000, 0x7FC1_0000])

        XCTAssertEqual(try file.tensor(named: "scalar", shape: []), [42])
        XCTAssertEqual(try file.tensor(named: "empty", shape: [0, 3]), [])
    }

    /// What swift_written.safetensors holds (the pytest checks the same values).
    static let swiftWrittenContents: (tensors: [SafeTensor], metadata: [String: String]) = (
        [
            SafeTensor(name: "transformer.wte.weight", shape: [3, 2], data: [0, 1, -2, 0.5, 1e-3, -7.25]),
            SafeTensor(name: "transformer.ln_f.bias", shape: [2], data: [.infinity, -0.0]),
            SafeTensor(name: "step_scale", shape: [], data: [3.5]),
            SafeTensor(name: "empty", shape: [0, 4], data: []),
        ],
        ["format": "pt", "step": "100", "vocab": "你吃了吗？"]
    )

    func testWriterStillProducesTheCommittedFixture() throws {
        let (tensors, metadata) = Self.swiftWrittenContents
        let expected = try XCTUnwrap(readFileBytes(Self.fixtures + "/swift_written.safetensors"),
                                     "missing fixture")
        XCTAssertEqual(try SafeTensorsFile.write(tensors: tensors, metadata: metadata), expected)
        let file = try SafeTensorsFile.read(bytes: expected)
        XCTAssertEqual(file.metadata, metadata)
        XCTAssertEqual(file.tensors.map(\.name), ["empty", "step_scale", "transformer.ln_f.bias", "transformer.wte.weight"])
        XCTAssertEqual(try file.tensor(named: "transformer.wte.weight", shape: [3, 2]), [0, 1, -2, 0.5, 1e-3, -7.25])
    }
}
