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
/// A replaced file keeps the permissions of the file it replaces.
///
/// Destinations: only a regular file (or a name that does not exist yet) is replaced. A
/// device node, FIFO, socket or directory is refused with `AttentionError(.io, …)` before
/// anything is written, so a save to /dev/null or a FIFO never destroys it. A symbolic link is
/// followed: its final target, which must be a regular file or not exist yet (a dangling link
/// creates it), is replaced atomically in the target's own directory, so the link survives.
///
/// Temporary files are named ".<name>.attn-tmp" next to the target; a save killed before its
/// rename leaves that file behind, and the next save to the same target reuses (truncates and
/// rewrites) it, so killed saves never accumulate. A save holds an exclusive `flock` on its
/// temporary file from before it truncates it until after the rename, so saves to the same
/// target at the same time (threads or processes) take turns: each renames a complete file, and
/// the last one wins.
///
///     try AtomicFile.replace("model.safetensors") { file in
///         try file.write(headerBytes)
///         try file.write(dataBytes)
///     }
public enum AtomicFile {
    /// Creates or replaces the file at `path` with what `body` writes through `file`.
    public static func replace(_ path: String, _ body: (AtomicFileWriter) throws -> Void) throws {
        _ = try split(path) // a path that cannot name a file is an invalid argument, not an IO error
        let target = try resolveDestination(path)
        let (directory, name) = try split(target)
        let temporary = try createTemporary(in: directory, for: name)
        do {
            try copyPermissions(from: target, to: temporary)
            try body(AtomicFileWriter(descriptor: temporary))
            try temporary.sync()
            // Renamed while still open: the lock is held until the file has its final name.
            guard rename(temporary.path, target) == 0 else {
                throw FileDescriptor.ioError("cannot rename '\(temporary.path)' to '\(target)'")
            }
        } catch {
            unlink(temporary.path)
            _ = try? temporary.close()
            throw error
        }
        try temporary.close()
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

    /// The file that saving to `path` replaces: `path` itself, or the final target when `path`
    /// is a symbolic link (followed up to 40 levels, like the kernel). Throws unless that is a
    /// regular file or does not exist yet.
    static func resolveDestination(_ path: String) throws -> String {
        var current = path
        for _ in 0..<40 {
            var info = stat()
            guard lstat(current, &info) == 0 else {
                guard errno == ENOENT else { throw FileDescriptor.ioError("cannot write '\(path)'") }
                return current // a new file
            }
            switch info.st_mode & S_IFMT {
            case S_IFREG:
                return current
            case S_IFLNK:
                current = try linkTarget(current, relativeTo: current)
            default:
                throw AttentionError(.io, "cannot write '\(path)': it is \(describeFileType(info.st_mode)), not a regular file (refusing to replace it)")
            }
        }
        throw AttentionError(.io, "cannot write '\(path)': too many levels of symbolic links")
    }

    /// The target of symbolic link `link`, made relative to the link's directory when relative.
    static func linkTarget(_ link: String, relativeTo: String) throws -> String {
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        let count = readlink(link, &buffer, buffer.count - 1)
        guard count >= 0 else { throw FileDescriptor.ioError("cannot read the symbolic link '\(link)'") }
        let bytes = buffer[..<count].map { UInt8(bitPattern: $0) }
        let target = String(decoding: bytes, as: UTF8.self)
        if bytes.first == UInt8(ascii: "/") { return target }
        guard let slash = Array(link.utf8).lastIndex(of: UInt8(ascii: "/")) else { return target }
        return String(decoding: Array(link.utf8)[...slash], as: UTF8.self) + target
    }

    /// The temporary file ".<name>.attn-tmp" in `directory`, created or truncated (a leftover
    /// of a killed save is reused), locked exclusively. Opened with O_NOFOLLOW and checked to be
    /// a regular file, so a link or special file planted under that name is refused rather than
    /// written through. When another save holds the lock, this waits for it; if that save then
    /// renamed the file away, the lock was won on what is now its target, which is left alone and
    /// the name opened afresh.
    static func createTemporary(in directory: String, for name: String) throws -> FileDescriptor {
        let prefix = directory == "/" ? "/" : directory + "/"
        let temporary = prefix + ".\(name).attn-tmp"
        while true {
            let raw = retryingOnInterrupt {
                open(temporary, O_WRONLY | O_CREAT | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC | O_NOCTTY, 0o644)
            }
            guard raw >= 0 else { throw FileDescriptor.ioError("cannot create a temporary file in '\(directory)' ('\(temporary)')") }
            let file = FileDescriptor(raw: raw, path: temporary)
            var info = stat()
            guard fstat(raw, &info) == 0, info.st_mode & S_IFMT == S_IFREG else {
                _ = try? file.close()
                throw AttentionError(.io, "cannot use the temporary file '\(temporary)': not a regular file")
            }
            guard retryingOnInterrupt({ flock(raw, LOCK_EX) }) == 0 else {
                let error = FileDescriptor.ioError("cannot lock the temporary file '\(temporary)'")
                _ = try? file.close()
                throw error
            }
            var current = stat()
            guard lstat(temporary, &current) == 0, current.st_dev == info.st_dev, current.st_ino == info.st_ino else {
                _ = try? file.close()  // renamed away by the save that held the lock
                continue
            }
            guard ftruncate(raw, 0) == 0 else {
                let error = FileDescriptor.ioError("cannot truncate the temporary file '\(temporary)'")
                _ = try? file.close()
                throw error
            }
            return file
        }
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
