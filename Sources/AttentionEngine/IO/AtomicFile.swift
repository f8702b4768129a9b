#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Replaces a file atomically: readers (and a crash) see either the old file or the complete
/// new one, never a mix.
///
/// The new content goes to a temporary file in the same directory (so the rename stays within
/// one file system), which is fsynced, renamed over the target, and then the directory is
/// fsynced so the rename itself is durable. If anything fails before the rename — including an
/// error thrown by `body` — the temporary file is removed and the file at `path` is untouched.
/// (A failing fsync of the directory after the rename is still reported as an error, although
/// the new file is then in place.)
/// A replaced file keeps the permissions of the file it replaces. `path` itself is replaced:
/// when it is a symbolic link, the link becomes a regular file.
///
///     try AtomicFile.replace("model.safetensors") { file in
///         try file.write(headerBytes)
///         try file.write(dataBytes)
///     }
public enum AtomicFile {
    /// Creates or replaces the file at `path` with what `body` writes through `file`.
    public static func replace(_ path: String, _ body: (AtomicFileWriter) throws -> Void) throws {
        let (directory, name) = try split(path)
        let temporary = try createTemporary(in: directory, for: name)
        do {
            try copyPermissions(from: path, to: temporary)
            try body(AtomicFileWriter(descriptor: temporary))
            try temporary.sync()
        } catch {
            _ = try? temporary.close()
            unlink(temporary.path)
            throw error
        }
        do {
            try temporary.close()
        } catch {
            unlink(temporary.path)
            throw error
        }
        guard rename(temporary.path, path) == 0 else {
            let error = FileDescriptor.ioError("cannot rename '\(temporary.path)' to '\(path)'")
            unlink(temporary.path)
            throw error
        }
        try syncDirectory(directory)
    }

    /// The directory (without a trailing slash, "." for a bare name) and the file name.
    static func split(_ path: String) throws -> (directory: String, name: String) {
        let utf8 = Array(path.utf8)
        guard let last = utf8.last, last != UInt8(ascii: "/") else {
            throw AttentionError.invalid("cannot write '\(path)': not a file path")
        }
        guard let slash = utf8.lastIndex(of: UInt8(ascii: "/")) else { return (".", path) }
        let directory = slash == 0 ? "/" : String(decoding: utf8[..<slash], as: UTF8.self)
        return (directory, String(decoding: utf8[(slash + 1)...], as: UTF8.self))
    }

    /// A new, exclusively created file ".<name>.<random>.tmp" in `directory`.
    static func createTemporary(in directory: String, for name: String) throws -> FileDescriptor {
        let prefix = directory == "/" ? "/" : directory + "/"
        for _ in 0..<8 {
            let temporary = prefix + ".\(name).\(String(UInt64.random(in: 0...UInt64.max), radix: 36)).tmp"
            let raw = retryingOnInterrupt { open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644) }
            if raw >= 0 { return FileDescriptor(raw: raw, path: temporary) }
            guard errno == EEXIST else {
                throw FileDescriptor.ioError("cannot create a temporary file in '\(directory)'")
            }
        }
        throw AttentionError(.io, "cannot create a temporary file in '\(directory)': names keep colliding")
    }

    /// Gives the temporary file the permission bits of the file it will replace, if any.
    static func copyPermissions(from path: String, to temporary: FileDescriptor) throws {
        var info = stat()
        guard stat(path, &info) == 0 else { return } // no previous file: keep the default
        guard fchmod(temporary.raw, info.st_mode & 0o7777) == 0 else {
            throw FileDescriptor.ioError("cannot set the permissions of '\(temporary.path)'")
        }
    }

    /// Makes a rename in `directory` durable.
    static func syncDirectory(_ directory: String) throws {
        let raw = retryingOnInterrupt { open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC) }
        guard raw >= 0 else { throw FileDescriptor.ioError("cannot open directory '\(directory)'") }
        let descriptor = FileDescriptor(raw: raw, path: directory)
        defer { _ = try? descriptor.close() }
        try descriptor.sync()
    }
}

/// Where `AtomicFile.replace` writes the new content: valid only inside its `body`.
public struct AtomicFileWriter {
    let descriptor: FileDescriptor

    /// The temporary file being written (renamed over the target when `body` returns).
    public var temporaryPath: String { descriptor.path }

    /// Appends `bytes`; throws `AttentionError(.io, …)` on a failed or short write.
    public func write(_ bytes: UnsafeRawBufferPointer) throws {
        try descriptor.write(bytes)
    }

    /// Appends `bytes`.
    public func write(_ bytes: [UInt8]) throws {
        try bytes.withUnsafeBytes { try descriptor.write($0) }
    }
}
