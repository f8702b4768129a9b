#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Thin, checked wrappers over POSIX file descriptors for the IO layer (the engine links into
/// libattention.so without Foundation). Every failure is `AttentionError(.io, …)` with the path
/// and the system's reason; interrupted calls are retried and short transfers continued.
struct FileDescriptor {
    let raw: Int32
    /// The path, for error messages.
    let path: String

    /// Opens the regular file `path` read-only; anything else (a FIFO, a device, a directory, a
    /// socket) is refused without blocking: the open is non-blocking (a FIFO without a writer
    /// would otherwise wait forever) and the type is checked with fstat on the opened descriptor,
    /// so the file checked is the file read.
    static func openForReading(_ path: String) throws -> FileDescriptor {
        let raw = retryingOnInterrupt { open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY) }
        guard raw >= 0 else { throw ioError("cannot open '\(path)'") }
        let file = FileDescriptor(raw: raw, path: path)
        var info = stat()
        guard fstat(raw, &info) == 0 else {
            let error = ioError("cannot stat '\(path)'")
            _ = try? file.close()
            throw error
        }
        guard info.st_mode & S_IFMT == S_IFREG else {
            _ = try? file.close()
            throw AttentionError(.io, "'\(path)' is not a regular file (\(describeFileType(info.st_mode)))")
        }
        return file
    }

    /// Closes the descriptor; a failing close can mean lost writes, so it is an error.
    func close() throws {
        // Not retried on EINTR: on Linux the descriptor is released even then.
        guard systemClose(raw) == 0 else { throw Self.ioError("cannot close '\(path)'") }
    }

    /// The size in bytes of a regular file; throws for directories, pipes and devices.
    func regularFileSize() throws -> Int {
        var info = stat()
        guard fstat(raw, &info) == 0 else { throw Self.ioError("cannot stat '\(path)'") }
        guard info.st_mode & S_IFMT == S_IFREG else {
            throw AttentionError(.io, "'\(path)' is not a regular file")
        }
        return Int(info.st_size)
    }

    /// Reads exactly `buffer.count` bytes at file offset `offset`.
    func read(into buffer: UnsafeMutableRawBufferPointer, at offset: Int) throws {
        var done = 0
        while done < buffer.count {
            let n = pread(raw, buffer.baseAddress! + done, buffer.count - done, off_t(offset + done))
            if n < 0 {
                if errno == EINTR { continue }
                throw Self.ioError("cannot read '\(path)' at byte \(offset + done)")
            }
            guard n > 0 else {
                throw AttentionError(.io, "'\(path)' ended at byte \(offset + done) while reading \(buffer.count) bytes at \(offset) (file changed while reading?)")
            }
            done += n
        }
    }

    /// Writes all of `bytes` at the current position.
    func write(_ bytes: UnsafeRawBufferPointer) throws {
        var done = 0
        while done < bytes.count {
            let n = systemWrite(raw, bytes.baseAddress! + done, bytes.count - done)
            if n < 0 {
                if errno == EINTR { continue }
                throw Self.ioError("cannot write '\(path)' (\(done) of \(bytes.count) bytes written)")
            }
            guard n > 0 else { throw AttentionError(.io, "cannot write '\(path)': no progress") }
            done += n
        }
    }

    /// Flushes the file's data and metadata to the device.
    func sync() throws {
        guard retryingOnInterrupt({ fsync(raw) }) == 0 else { throw Self.ioError("cannot fsync '\(path)'") }
    }

    /// `AttentionError(.io, "<what>: <strerror(errno)>")`.
    static func ioError(_ what: String) -> AttentionError {
        AttentionError(.io, "\(what): \(String(cString: strerror(errno)))")
    }
}

/// Repeats `call` while it fails with EINTR.
func retryingOnInterrupt(_ call: () -> Int32) -> Int32 {
    while true {
        let result = call()
        if result >= 0 || errno != EINTR { return result }
    }
}

// The libc functions whose names the methods above shadow.
private func systemClose(_ raw: Int32) -> Int32 { close(raw) }
private func systemWrite(_ raw: Int32, _ bytes: UnsafeRawPointer, _ count: Int) -> Int { write(raw, bytes, count) }

/// "a directory", "a FIFO", … for the type bits of `mode`, for messages.
func describeFileType(_ mode: mode_t) -> String {
    switch mode & S_IFMT {
    case S_IFREG: return "a regular file"
    case S_IFDIR: return "a directory"
    case S_IFIFO: return "a FIFO"
    case S_IFCHR: return "a character device"
    case S_IFBLK: return "a block device"
    case S_IFSOCK: return "a socket"
    case S_IFLNK: return "a symbolic link"
    default: return "an unknown file type"
    }
}
