import AttentionEngine
import XCTest

/// One test per class of malformed file the reader must reject: each is an
/// `AttentionError(.format, …)` whose message names what is wrong and where.
final class SafeTensorsMalformedTests: XCTestCase {
    /// A valid one-tensor header for 2 F32 values, to check the helpers themselves.
    let valid = #"{"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}"#

    func testTheBaselineIsValid() throws {
        let file = try SafeTensorsFile.read(bytes: safetensorsFile(valid, data: float32Bytes([1, 2])))
        XCTAssertEqual(try file.tensor(named: "w", shape: [2]), [1, 2])
    }

    func testFileShorterThanTheLengthField() {
        for count in 0..<8 {
            assertReadFails([UInt8](repeating: 0, count: count), .format, "\(count) bytes", "fewer than the 8-byte")
        }
    }

    func testHeaderLengthPastTheEndOfTheFile() {
        assertReadFails(safetensorsFile(valid, data: float32Bytes([1, 2]), headerLength: 1000),
                        .format, "header length 1000 runs past the end of the file")
        assertReadFails(safetensorsFile("", headerLength: UInt64(SafeTensorsFile.maxHeaderByteCount)),
                        .format, "runs past the end")
    }

    func testHeaderLengthOverTheLimit() {
        assertReadFails(safetensorsFile(valid, headerLength: UInt64(SafeTensorsFile.maxHeaderByteCount) + 1),
                        .format, "exceeds the limit")
        assertReadFails(safetensorsFile(valid, headerLength: .max), .format, "\(UInt64.max)", "exceeds the limit")
    }

    func testInvalidUTF8InTheHeader() {
        var bytes = safetensorsFile(#"{"w\#u{00E9}":{"dtype":"F32","shape":[0],"data_offsets":[0,0]}}"#)
        bytes[8 + 3] = 0xFF // first byte of "é"
        assertReadFails(bytes, .format, "invalid UTF-8 at byte 3")
    }

    func testInvalidJSON() {
        let cases: [(String, String)] = [
            ("", "byte 0: expected a value, found end of input"),
            ("{", "byte 1"),
            (#"{"w":}"#, "byte 5: expected a value"),
            (#"{"w" {}}"#, "expected ':'"),
            (#"{"a":{},}"#, "expected a string key"),
            (#"{} x"#, "byte 3: unexpected 'x' after the document"),
            (#"{}{}"#, "after the document"),
            (#"{"a":[01]}"#, "leading zero"),
            (#"{"a":tru}"#, "invalid literal"),
            ("{\"a\u{1}\":{}}", "raw control character"),
            (#"{"a\q":{}}"#, "invalid escape"),
            (#"{"a\uD800":{}}"#, "lone high surrogate"),
            (#"{"a\uD800\u0041":{}}"#, "not followed by a low surrogate"),
            (#"{"a\uDC00":{}}"#, "lone low surrogate"),
            (#"{"a\u12":{}}"#, "invalid hex digit"),
            (String(repeating: "[", count: 100), "nesting deeper than"),
        ]
        for (header, fragment) in cases {
            assertReadFails(safetensorsFile(header), .format, "safetensors header: invalid JSON", fragment)
        }
    }

    func testHeaderThatIsNotAnObject() {
        assertReadFails(safetensorsFile("[]"), .format, "the header is an array, not an object")
        assertReadFails(safetensorsFile(#""text""#), .format, "the header is a string")
    }

    func testMissingFields() {
        assertReadFails(safetensorsFile(#"{"w":{"shape":[0],"data_offsets":[0,0]}}"#), .format, "tensor 'w' has no 'dtype'")
        assertReadFails(safetensorsFile(#"{"w":{"dtype":"F32","data_offsets":[0,0]}}"#), .format, "tensor 'w' has no 'shape'")
        assertReadFails(safetensorsFile(#"{"w":{"dtype":"F32","shape":[0]}}"#), .format, "tensor 'w' has no 'data_offsets'")
        assertReadFails(safetensorsFile(#"{"w":[]}"#), .format, "tensor 'w' is an array, not an object")
        assertReadFails(safetensorsFile(#"{"w":{"dtype":"F32","shape":[0],"data_offsets":[0,0],"x":1}}"#),
                        .format, "tensor 'w' has an unknown field 'x'")
    }

    func testWrongFieldTypes() {
        assertReadFails(safetensorsFile(#"{"w":{"dtype":32,"shape":[0],"data_offsets":[0,0]}}"#), .format, "dtype is not a string")
        assertReadFails(safetensorsFile(#"{"w":{"dtype":"F32","shape":2,"data_offsets":[0,0]}}"#), .format, "shape is not an array")
        assertReadFails(safetensorsFile(#"{"w":{"dtype":"F32","shape":[0],"data_offsets":[0]}}"#), .format, "data_offsets is not an array of two integers")
        assertReadFails(safetensorsFile(#"{"w":{"dtype":"F32","shape":[0],"data_offsets":[0,0,0]}}"#), .format, "data_offsets is not an array of two integers")
        assertReadFails(safetensorsFile(#"{"w":{"dtype":"F32","shape":[0],"data_offsets":["0",0]}}"#), .format, "begin offset of tensor 'w' is a string")
    }

    func testUnknownDType() {
        for dtype in ["F64", "I64", "f32", "", "BOOL"] {
            assertReadFails(safetensorsFile(#"{"w":{"dtype":"\#(dtype)","shape":[0],"data_offsets":[0,0]}}"#),
                            .format, "tensor 'w' has dtype '\(dtype)', which is not supported")
        }
    }

    func testNegativeOrNonIntegerDimensions() {
        let cases: [(String, String)] = [
            ("-1", "dimension 0 of the shape of tensor 'w' is negative (-1)"),
            ("1.0", "is not an integer (1.0)"),
            ("2e0", "is not an integer (2e0)"),
            ("null", "is null, not an integer"),
            ("\"2\"", "is a string, not an integer"),
            ("9223372036854775808", "is too large"),          // Int.max + 1
            ("18446744073709551616", "is too large"),         // UInt64.max + 1
        ]
        for (dim, fragment) in cases {
            assertReadFails(safetensorsFile(#"{"w":{"dtype":"F32","shape":[1,\#(dim)],"data_offsets":[0,0]}}"#),
                            .format, fragment.replacingOccurrences(of: "dimension 0", with: "dimension 1"))
        }
        assertReadFails(safetensorsFile(#"{"w":{"dtype":"F32","shape":[0],"data_offsets":[-1,0]}}"#),
                        .format, "the begin offset of tensor 'w' is negative")
    }

    func testShapeProductAndByteSizeOverflow() {
        // 2^32 × 2^32 overflows the element count; 2^62 elements × 4 bytes overflows the size.
        assertReadFails(safetensorsFile(#"{"w":{"dtype":"F32","shape":[4294967296,4294967296],"data_offsets":[0,0]}}"#),
                        .format, "tensor 'w': the element count of shape [4294967296,4294967296] overflows")
        assertReadFails(safetensorsFile(#"{"w":{"dtype":"F32","shape":[4611686018427387904],"data_offsets":[0,0]}}"#),
                        .format, "tensor 'w': the byte size of F32 shape [4611686018427387904] overflows")
        // Offsets too large for any file run past the end, without overflowing anything.
        assertReadFails(safetensorsFile(#"{"w":{"dtype":"F32","shape":[2],"data_offsets":[9223372036854775807,9223372036854775807]}}"#),
                        .format, "run past the end of the data (0 bytes)")
    }

    func testByteSizeNotMatchingDTypeAndShape() {
        assertReadFails(safetensorsFile(#"{"w":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}}"#, data: float32Bytes([1, 2])),
                        .format, "tensor 'w': F32 shape [3] needs 12 bytes but data_offsets [0, 8] hold 8")
        assertReadFails(safetensorsFile(#"{"w":{"dtype":"F16","shape":[2],"data_offsets":[0,8]}}"#, data: float32Bytes([1, 2])),
                        .format, "F16 shape [2] needs 4 bytes")
    }

    func testOverlappingOffsets() {
        let header = #"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}}"#
        assertReadFails(safetensorsFile(header, data: float32Bytes([1, 2, 3])),
                        .format, "tensor 'b' (bytes 4..<12) overlaps tensor 'a'")
        // Two tensors sharing the same bytes.
        let aliased = #"{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"b":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}"#
        assertReadFails(safetensorsFile(aliased, data: float32Bytes([1])), .format, "overlaps")
    }

    func testOffsetsLeavingGaps() {
        let header = #"{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"b":{"dtype":"F32","shape":[1],"data_offsets":[8,12]}}"#
        assertReadFails(safetensorsFile(header, data: float32Bytes([1, 2, 3])),
                        .format, "4 unused bytes after tensor 'a', before tensor 'b'")
        let leading = #"{"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}"#
        assertReadFails(safetensorsFile(leading, data: float32Bytes([1, 2])), .format, "4 unused bytes at the start of the data")
    }

    func testOffsetsOutOfOrder() {
        // A range that ends before it begins; the order of tensors in the JSON object itself is
        // free (files are tiled by offset, as the reference implementation does).
        assertReadFails(safetensorsFile(#"{"w":{"dtype":"F32","shape":[0],"data_offsets":[8,0]}}"#, data: float32Bytes([1, 2])),
                        .format, "tensor 'w': data_offsets [8, 0] end before they begin")
        let reversedKeys = #"{"b":{"dtype":"F32","shape":[1],"data_offsets":[4,8]},"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}"#
        let file = try? SafeTensorsFile.read(bytes: safetensorsFile(reversedKeys, data: float32Bytes([1, 2])))
        XCTAssertEqual(file?.tensors.map(\.name), ["a", "b"], "tensors come back in data order")
        XCTAssertEqual(try file?.tensor(named: "b", shape: [1]), [2])
    }

    func testOffsetsPastTheEnd() {
        assertReadFails(safetensorsFile(#"{"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}"#, data: float32Bytes([1])),
                        .format, "tensor 'w': data_offsets [0, 8] run past the end of the data (4 bytes)")
    }

    func testTrailingBytes() {
        assertReadFails(safetensorsFile(valid, data: float32Bytes([1, 2]) + [0]),
                        .format, "1 trailing bytes after the last tensor")
        assertReadFails(safetensorsFile("{}", data: [0, 0]), .format, "2 trailing bytes")
    }

    func testMetadataThatIsNotStrings() {
        assertReadFails(safetensorsFile(#"{"__metadata__":{"step":100}}"#), .format, "__metadata__ value of 'step' is a number, not a string")
        assertReadFails(safetensorsFile(#"{"__metadata__":{"a":"x","b":null}}"#), .format, "value of 'b' is null")
        assertReadFails(safetensorsFile(#"{"__metadata__":["x"]}"#), .format, "__metadata__ is an array, not an object")
    }

    func testDuplicateTensorNames() {
        let header = #"{"w":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"w":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}"#
        assertReadFails(safetensorsFile(header, data: float32Bytes([1, 2])), .format, "byte 54: duplicate key \"w\"")
        assertReadFails(safetensorsFile(#"{"__metadata__":{},"__metadata__":{}}"#), .format, "duplicate key \"__metadata__\"")
        assertReadFails(safetensorsFile(#"{"__metadata__":{"k":"a","k":"b"}}"#), .format, "duplicate key \"k\"")
    }

    func testFileErrorsNameThePath() throws {
        let directory = try makeTemporaryDirectory()
        defer { removeTemporaryDirectory(directory) }
        XCTAssertThrowsError(try SafeTensorsFile.read(path: directory + "/missing.safetensors")) { error in
            XCTAssertEqual((error as? AttentionError)?.kind, .io)
            XCTAssertTrue("\(error)".contains("missing.safetensors"), "\(error)")
        }
        XCTAssertThrowsError(try SafeTensorsFile.read(path: directory)) { error in
            XCTAssertEqual((error as? AttentionError)?.kind, .io)
            XCTAssertTrue("\(error)".contains("not a regular file"), "\(error)")
        }
        let truncated = directory + "/truncated.safetensors"
        writeFileBytes(truncated, Array(safetensorsFile(valid, data: float32Bytes([1, 2])).dropLast()))
        XCTAssertThrowsError(try SafeTensorsFile.read(path: truncated)) { error in
            XCTAssertEqual((error as? AttentionError)?.kind, .format)
            XCTAssertEqual("\(error)", "\(truncated): safetensors header: tensor 'w': data_offsets [0, 8] run past the end of the data (7 bytes)")
        }
    }
}
