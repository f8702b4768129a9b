import AttentionEngine

// Validation shared by the kernel exports on caller-owned buffers: every size and pointer is
// checked here, before a kernel runs, so that bad arguments become statuses instead of traps.

/// rows·cols as an element count, after checking that both are >= 0 and that the buffer size in
/// bytes does not overflow.
func checkedElementCount(_ function: String, _ rowsName: String, _ rows: Int64,
                         _ colsName: String, _ cols: Int64) throws -> Int {
    guard rows >= 0, cols >= 0 else {
        throw AttentionError.shape("\(function): \(rowsName) (\(rows)) and \(colsName) (\(cols)) must be >= 0")
    }
    let (count, countOverflow) = rows.multipliedReportingOverflow(by: cols)
    let (_, bytesOverflow) = count.multipliedReportingOverflow(by: Int64(MemoryLayout<Float>.stride))
    guard !countOverflow, !bytesOverflow, let elements = Int(exactly: count) else {
        throw AttentionError.shape("\(function): \(rowsName) × \(colsName) = \(rows) × \(cols) is too large for a float buffer")
    }
    return elements
}

/// Throws a null-pointer error naming `name` when `pointer` is NULL but `count` elements are
/// needed.
func requireBuffer<T>(_ function: String, _ name: String, _ pointer: UnsafePointer<T>?, count: Int) throws {
    if count > 0 && pointer == nil {
        throw AttentionError(.nullPointer, "\(function): \(name) is NULL but must hold \(count) values")
    }
}

/// Throws when two buffers of `count` floats overlap without being the same buffer (in-place
/// use passes the same pointer twice; a shifted alias would read values already overwritten).
func requireSameOrDisjoint(_ function: String, _ outName: String, _ out: UnsafeRawPointer?,
                           _ inName: String, _ inp: UnsafeRawPointer?, count: Int) throws {
    guard let out, let inp, out != inp, count > 0 else { return }
    let bytes = count * MemoryLayout<Float>.stride
    if out < inp + bytes && inp < out + bytes {
        throw AttentionError.invalid("\(function): \(outName) and \(inName) overlap without being equal")
    }
}

/// A caller's buffer as a byte range, for overlap checks.
struct BufferExtent {
    let name: String
    let start: UnsafeRawPointer?
    let bytes: Int

    init(_ name: String, _ start: UnsafeRawPointer?, floats: Int) {
        self.name = name
        self.start = start
        self.bytes = floats * MemoryLayout<Float>.stride
    }

    func overlaps(_ other: BufferExtent) -> Bool {
        guard let a = start, let b = other.start, bytes > 0, other.bytes > 0 else { return false }
        return a < b + other.bytes && b < a + bytes
    }
}

/// Throws when an output buffer overlaps an input or another output: kernels that read inputs
/// after writing outputs would silently compute garbage from an alias.
func requireDisjoint(_ function: String, outputs: [BufferExtent], inputs: [BufferExtent]) throws {
    for (index, output) in outputs.enumerated() {
        for other in inputs + outputs[(index + 1)...] where output.overlaps(other) {
            throw AttentionError.invalid("\(function): \(output.name) overlaps \(other.name); outputs must not alias other buffers")
        }
    }
}

/// Floats spanned by a row-major matrix of `rows` × `cols` with leading dimension `ld` (after
/// its arguments were validated, so the product cannot overflow).
func matrixSpan(rows: Int, cols: Int, ld: Int) -> Int {
    rows > 0 && cols > 0 ? (rows - 1) * ld + cols : 0
}
