import AttentionEngine
#if canImport(Glibc)
import Glibc
#endif
import XCTest

/// Issue 19: saves refuse special files (a save as root replaced /dev/null), follow symbolic
/// links (the link survives), reuse the temporary file of a killed save; reads of a FIFO fail at
/// once instead of blocking.
final class AtomicFileDestinationTests: XCTestCase {
    var directory = ""
    let tensors = [SafeTensor(name: "w", shape: [2], data: [1, 2])]

    override func setUpWithError() throws { directory = try makeTemporaryDirectory() }
    override func tearDown() { removeTemporaryDirectory(directory) }

    func fileType(_ path: String) -> mode_t {
        var info = stat()
        return lstat(path, &info) == 0 ? info.st_mode & S_IFMT : 0
    }

    func assertRefused(_ path: String, mentioning needle: String, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertThrowsError(try SafeTensorsFile.write(tensors: tensors, metadata: [:], to: path), file: file, line: line) { error in
            let error = error as? AttentionError
            XCTAssertEqual(error?.kind, .io, file: file, line: line)
            XCTAssertTrue(error?.message.contains(needle) ?? false, "\(String(describing: error))", file: file, line: line)
        }
    }

    func testFIFOIsRefusedForWritingAndReadingWithoutBlocking() throws {
        let fifo = directory + "/f"
        XCTAssertEqual(mkfifo(fifo, 0o644), 0)
        assertRefused(fifo, mentioning: "FIFO")
        XCTAssertEqual(fileType(fifo), S_IFIFO)
        XCTAssertThrowsError(try SafeTensorsFile.read(path: fifo)) { error in
            XCTAssertTrue((error as? AttentionError)?.message.contains("not a regular file") ?? false, "\(error)")
        }
        XCTAssertEqual(directoryEntries(directory), ["f"], "no temporary file left")
    }

    func testDeviceNodeIsNotReplaced() throws {
        let device = directory + "/null"
        guard mknod(device, S_IFCHR | 0o666, dev_t((1 << 8) | 3)) == 0 else { // makedev(1, 3): /dev/null
            throw XCTSkip("mknod needs root (errno \(errno))")
        }
        assertRefused(device, mentioning: "character device")
        XCTAssertEqual(fileType(device), S_IFCHR)
        XCTAssertThrowsError(try SafeTensorsFile.read(path: device))
    }

    func testDirectoryAndSocketAreRefused() throws {
        assertRefused(directory, mentioning: "directory")
        let socketPath = directory + "/s"
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            for (i, byte) in socketPath.utf8.enumerated() { raw[i] = byte }
        }
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        XCTAssertEqual(bound, 0)
        assertRefused(socketPath, mentioning: "socket")
        XCTAssertEqual(fileType(socketPath), S_IFSOCK)
    }

    func testSymbolicLinkIsFollowedAndSurvives() throws {
        let target = directory + "/target.safetensors", link = directory + "/link.safetensors"
        try SafeTensorsFile.write(tensors: [], metadata: ["v": "1"], to: target)
        XCTAssertEqual(symlink("target.safetensors", link), 0)
        try SafeTensorsFile.write(tensors: tensors, metadata: ["v": "2"], to: link)
        XCTAssertEqual(fileType(link), S_IFLNK, "the link is still a link")
        XCTAssertEqual(try SafeTensorsFile.read(path: target).metadata["v"], "2")
        XCTAssertEqual(directoryEntries(directory), ["link.safetensors", "target.safetensors"])
        // A chain of links through a subdirectory, and an absolute link.
        XCTAssertEqual(mkdir(directory + "/sub", 0o755), 0)
        XCTAssertEqual(symlink("../link.safetensors", directory + "/sub/chain"), 0)
        XCTAssertEqual(symlink(target, directory + "/absolute"), 0)
        try SafeTensorsFile.write(tensors: tensors, metadata: ["v": "3"], to: directory + "/sub/chain")
        XCTAssertEqual(try SafeTensorsFile.read(path: target).metadata["v"], "3")
        try SafeTensorsFile.write(tensors: tensors, metadata: ["v": "4"], to: directory + "/absolute")
        XCTAssertEqual(try SafeTensorsFile.read(path: target).metadata["v"], "4")
        XCTAssertEqual(fileType(directory + "/absolute"), S_IFLNK)
        XCTAssertEqual(directoryEntries(directory + "/sub"), ["chain"])
        unlink(directory + "/sub/chain")
        rmdir(directory + "/sub")
    }

    func testLinkLoopFailsCleanly() {
        XCTAssertEqual(symlink("b", directory + "/a"), 0)
        XCTAssertEqual(symlink("a", directory + "/b"), 0)
        XCTAssertThrowsError(try SafeTensorsFile.write(tensors: tensors, metadata: [:], to: directory + "/a"))
    }

    func testLeftoverTemporaryFileIsReused() throws {
        let path = directory + "/m.safetensors", leftover = directory + "/.m.safetensors.attn-tmp"
        writeFileBytes(leftover, Array(repeating: 0xEE, count: 100_000))
        try SafeTensorsFile.write(tensors: tensors, metadata: [:], to: path)
        XCTAssertEqual(directoryEntries(directory), ["m.safetensors"])
        XCTAssertEqual(try SafeTensorsFile.read(path: path).tensors, tensors, "the longer leftover was truncated")
        // A symbolic link planted under the temporary name is not written through.
        let victim = directory + "/victim"
        writeFileBytes(victim, [1, 2, 3])
        XCTAssertEqual(symlink("victim", leftover), 0)
        XCTAssertThrowsError(try SafeTensorsFile.write(tensors: tensors, metadata: [:], to: path))
        XCTAssertEqual(readFileBytes(victim), [1, 2, 3])
    }
}
