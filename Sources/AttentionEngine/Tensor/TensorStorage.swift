/// The heap buffer behind a `Tensor`: `count` contiguous Float values, 64-byte aligned, from
/// the `BufferPool`.
///
/// Tensors share a storage until one of them is mutated (copy-on-write), which gives `Tensor`
/// value semantics without copying on every assignment.
@usableFromInline
final class TensorStorage {
    @usableFromInline let pointer: UnsafeMutablePointer<Float>
    @usableFromInline let count: Int

    /// Uninitialized storage of `count` floats (the caller writes every element).
    @usableFromInline
    init(uninitializedCount count: Int) {
        self.count = count
        pointer = BufferPool.allocate(count)
        MemoryStatistics.allocated(count * MemoryLayout<Float>.stride)
    }

    /// Storage of `count` copies of `value`.
    @usableFromInline
    convenience init(count: Int, repeating value: Float) {
        self.init(uninitializedCount: count)
        pointer.initialize(repeating: value, count: count)
    }

    /// A copy of `source`.
    @usableFromInline
    func copy() -> TensorStorage {
        let copy = TensorStorage(uninitializedCount: count)
        copy.pointer.update(from: pointer, count: count)
        return copy
    }

    deinit {
        BufferPool.release(pointer, count: count)
        MemoryStatistics.freed(count * MemoryLayout<Float>.stride)
    }
}
