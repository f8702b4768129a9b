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
