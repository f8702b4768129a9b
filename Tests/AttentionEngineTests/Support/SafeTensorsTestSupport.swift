import AttentionEngine
#if canImport(Glibc)
import Glibc
#endif
import XCTest

/// Building raw safetensors files and checking reader errors, shared by the SafeTensors tests.

/// A file with the given header text and data bytes; `headerLength` overrides the length field.
func safetensorsFile(_ header: String, data: [UInt8] = [], headerLength: UInt64? = nil) -> [UInt8] {
    let json = Array(header.utf8)
    let length = headerLength ?? UInt64(json.count)
    return withUnsafeBytes(of: length.littleEndian) { Array($0) } + json + data
}

/// The little-endian bytes of `values`.
func float32Bytes(_ values: [Float]) -> [UInt8] {
    values.flatMap { withUnsafeBytes(of: $0.bitPattern.littleEndian) { Array($0) } }
}

/// Asserts that reading `bytes` throws `AttentionError(kind, …)` whose message contains every
/// string of `fragments`.
func assertReadFails(_ bytes: [UInt8], _ kind: AttentionError.Kind = .format, _ fragments: String...,
                     file: StaticString = #filePath, line: UInt = #line) {
    assertAttentionError(try SafeTensorsFile.read(bytes: bytes), kind, fragments, file: file, line: line)
}

/// Asserts that `expression` throws `AttentionError(kind, …)` whose message contains every
/// string of `fragments`.
func assertAttentionError<T>(_ expression: @autoclosure () throws -> T, _ kind: AttentionError.Kind,
                             _ fragments: [String], file: StaticString = #filePath, line: UInt = #line) {
    XCTAssertThrowsError(try expression(), file: file, line: line) { error in
        guard let error = error as? AttentionError else {
            return XCTFail("not an AttentionError: \(error)", file: file, line: line)
        }
        XCTAssertEqual(error.kind, kind, error.message, file: file, line: line)
        for fragment in fragments {
            XCTAssertTrue(error.message.contains(fragment), "'\(error.message)' lacks '\(fragment)'",
                          file: file, line: line)
        }
    }
}

/// A fresh, empty directory under the system's temporary directory, removed by the caller.
func makeTemporaryDirectory() throws -> String {
    var template = Array("/tmp/attn-safetensors-XXXXXX".utf8CString)
    guard let path = template.withUnsafeMutableBufferPointer({ mkdtemp($0.baseAddress!) }) else {
        throw AttentionError(.io, "mkdtemp failed")
    }
    return String(cString: path)
}

/// Removes a directory made by `makeTemporaryDirectory` and the plain files in it.
func removeTemporaryDirectory(_ path: String) {
    for name in directoryEntries(path) { unlink(path + "/" + name) }
    rmdir(path)
}

/// The names in `directory`, without "." and "..", sorted.
func directoryEntries(_ directory: String) -> [String] {
    guard let stream = opendir(directory) else { return [] }
    defer { closedir(stream) }
    var names: [String] = []
    while let entry = readdir(stream) {
        let name = withUnsafeBytes(of: entry.pointee.d_name) { String(cString: $0.bindMemory(to: CChar.self).baseAddress!) }
        if name != "." && name != ".." { names.append(name) }
    }
    return names.sorted()
}

/// The whole content of the file at `path`, or nil when it cannot be read.
func readFileBytes(_ path: String) -> [UInt8]? {
    guard let stream = fopen(path, "rb") else { return nil }
    defer { fclose(stream) }
    var bytes: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 65536)
    while true {
        let n = fread(&chunk, 1, chunk.count, stream)
        bytes += chunk[0..<n]
        if n < chunk.count { return ferror(stream) == 0 ? bytes : nil }
    }
}

/// Writes `bytes` to `path` (not atomically: for setting up test files).
func writeFileBytes(_ path: String, _ bytes: [UInt8]) {
    guard let stream = fopen(path, "wb") else { return XCTFail("cannot create \(path)") }
    XCTAssertEqual(fwrite(bytes, 1, bytes.count, stream), bytes.count)
    fclose(stream)
}
