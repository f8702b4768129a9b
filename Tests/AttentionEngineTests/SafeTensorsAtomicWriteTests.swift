import AttentionEngine
#if canImport(Glibc)
import Glibc
#endif
import Dispatch
import Synchronization
import XCTest

/// Saving replaces the file atomically: after any failure the previous file is byte-identical
/// and no temporary file is left behind.
final class SafeTensorsAtomicWriteTests: XCTestCase {
    var directory = ""
    var path: String { directory + "/model.safetensors" }
    let oldTensors = [SafeTensor(name: "old", shape: [2], data: [1, 2])]
    let newTensors = [SafeTensor(name: "new", shape: [64, 64], data: [Float](repeating: 0.25, count: 4096))]

    override func setUpWithError() throws {
        directory = try makeTemporaryDirectory()
    }

    override func tearDown() {
        removeTemporaryDirectory(directory)
    }

    /// Writes the old file and returns its bytes.
    func writeOldFile() throws -> [UInt8] {
        try SafeTensorsFile.write(tensors: oldTensors, metadata: ["version": "1"], to: path)
        return try XCTUnwrap(readFileBytes(path))
    }

    func testSuccessfulSaveReplacesTheFileAndKeepsItsPermissions() throws {
        _ = try writeOldFile()
        XCTAssertEqual(chmod(path, 0o600), 0)
        try SafeTensorsFile.write(tensors: newTensors, metadata: ["version": "2"], to: path)
        XCTAssertEqual(directoryEntries(directory), ["model.safetensors"], "no temporary file left")
        let file = try SafeTensorsFile.read(path: path)
        XCTAssertEqual(file.metadata["version"], "2")
        XCTAssertEqual(file.tensors, newTensors)
        var info = stat()
        XCTAssertEqual(stat(path, &info), 0)
        XCTAssertEqual(info.st_mode & 0o777, 0o600)
    }

    /// Saves to one path from several threads at once take turns (the temporary file is locked):
    /// the file is always one complete save, never a mix, and no temporary file is left.
    func testConcurrentSavesEachWriteACompleteFile() throws {
        // Different sizes, so that a mix of two saves could not pass for one of them.
        let contents = (0..<4).map { writer in
            (0..<3).map { SafeTensor(name: "w\($0)", shape: [1000 * (writer + 1)], data: [Float](repeating: Float(writer), count: 1000 * (writer + 1))) }
        }
        let expected = try contents.map { try SafeTensorsFile.write(tensors: $0) }
        for _ in 0..<5 {
            let failures = Mutex(0)
            DispatchQueue.concurrentPerform(iterations: contents.count) { writer in
                do { try SafeTensorsFile.write(tensors: contents[writer], to: path) } catch { failures.withLock { $0 += 1 } }
            }
            XCTAssertEqual(failures.withLock { $0 }, 0)
            let bytes = try XCTUnwrap(readFileBytes(path))
            XCTAssertTrue(expected.contains(bytes), "the file is not one complete save (\(bytes.count) bytes)")
            XCTAssertEqual(directoryEntries(directory), ["model.safetensors"], "no temporary file left")
        }
    }

    func testFailureInsideTheWriteLeavesTheOldFile() throws {
        let old = try writeOldFile()
        struct Injected: Error {}
        var temporary = ""
        XCTAssertThrowsError(try AtomicFile.replace(path) { file in
            temporary = file.temporaryPath
            try file.write([UInt8](repeating: 0xAB, count: 1000)) // a partial new file
            throw Injected()
        }) { error in
            XCTAssertTrue(error is Injected, "the body's error is passed on")
        }
        XCTAssertTrue(temporary.hasPrefix(directory + "/.model.safetensors."), temporary)
        XCTAssertEqual(readFileBytes(path), old)
        XCTAssertEqual(directoryEntries(directory), ["model.safetensors"])
    }

    func testShortWriteFromTheSystemLeavesTheOldFile() throws {
        let old = try writeOldFile()
        // Make the kernel refuse to grow any file past 4 KiB (RLIMIT_FSIZE), as a full disk or
        // quota would: the write of the 16 KiB new file stops short, then fails with EFBIG.
        let savedHandler = signal(SIGXFSZ, SIG_IGN)
        var saved = rlimit()
        XCTAssertEqual(getrlimit(Int32(RLIMIT_FSIZE.rawValue), &saved), 0)
        var limited = saved
        limited.rlim_cur = 4096
        XCTAssertEqual(setrlimit(Int32(RLIMIT_FSIZE.rawValue), &limited), 0)
        let result = Result { try SafeTensorsFile.write(tensors: newTensors, to: path) }
        XCTAssertEqual(setrlimit(Int32(RLIMIT_FSIZE.rawValue), &saved), 0)
        signal(SIGXFSZ, savedHandler)

        XCTAssertThrowsError(try result.get()) { error in
            XCTAssertEqual((error as? AttentionError)?.kind, .io)
            XCTAssertTrue("\(error)".contains("cannot write"), "\(error)")
            XCTAssertTrue("\(error)".contains("File too large"), "\(error)")
        }
        XCTAssertEqual(readFileBytes(path), old, "the previous file is byte-identical")
        XCTAssertEqual(directoryEntries(directory), ["model.safetensors"], "the temporary file is removed")
    }

    func testDirectoryTargetIsRefusedBeforeWriting() throws {
        // A directory where the file should go: refused before anything is written (issue 19:
        // only regular files are replaced; AtomicFileDestinationTests covers the other types).
        XCTAssertEqual(mkdir(path, 0o755), 0)
        defer { rmdir(path) }
        XCTAssertThrowsError(try SafeTensorsFile.write(tensors: newTensors, to: path)) { error in
            XCTAssertEqual((error as? AttentionError)?.kind, .io)
            XCTAssertTrue("\(error)".contains("is a directory"), "\(error)")
        }
        XCTAssertEqual(directoryEntries(directory), ["model.safetensors"])
        XCTAssertEqual(directoryEntries(path), [], "the directory is untouched")
    }

    func testMissingDirectoryAndBadPathsAreErrors() {
        XCTAssertThrowsError(try SafeTensorsFile.write(tensors: oldTensors, to: directory + "/missing/model.safetensors")) { error in
            XCTAssertEqual((error as? AttentionError)?.kind, .io)
            XCTAssertTrue("\(error)".contains("cannot create a temporary file in '\(directory)/missing'"), "\(error)")
        }
        XCTAssertThrowsError(try SafeTensorsFile.write(tensors: oldTensors, to: directory + "/")) { error in
            XCTAssertEqual((error as? AttentionError)?.kind, .invalidArgument)
        }
        XCTAssertThrowsError(try SafeTensorsFile.write(tensors: oldTensors, to: "")) { error in
            XCTAssertEqual((error as? AttentionError)?.kind, .invalidArgument)
        }
        XCTAssertEqual(directoryEntries(directory), [])
    }

    func testInvalidTensorsAreRejectedBeforeTouchingTheFile() throws {
        let old = try writeOldFile()
        XCTAssertThrowsError(try SafeTensorsFile.write(tensors: [SafeTensor(name: "w", shape: [3], data: [1])], to: path))
        XCTAssertEqual(readFileBytes(path), old)
        XCTAssertEqual(directoryEntries(directory), ["model.safetensors"])
    }
}
