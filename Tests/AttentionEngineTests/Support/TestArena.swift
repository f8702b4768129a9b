/// Heap buffers for calling raw-pointer kernels from tests. A test case owns one arena as a
/// stored property; everything it hands out stays valid until the test case is released, so a
/// pointer can never outlive its storage in the middle of a kernel call (which an object per
/// buffer allows under ARC), and every pointer is valid even for zero elements.
final class TestArena {
    private var allocations: [UnsafeMutableRawPointer] = []

    /// A buffer holding a copy of `values`.
    func buffer<Element>(_ values: [Element]) -> UnsafeMutablePointer<Element> {
        let pointer = UnsafeMutablePointer<Element>.allocate(capacity: max(values.count, 1))
        pointer.initialize(from: values, count: values.count)
        allocations.append(UnsafeMutableRawPointer(pointer))
        return pointer
    }

    /// A buffer of `count` copies of `value` (NaN is a good filler for outputs).
    func buffer<Element>(repeating value: Element, count: Int) -> UnsafeMutablePointer<Element> {
        buffer([Element](repeating: value, count: count))
    }

    deinit { allocations.forEach { $0.deallocate() } }
}

/// The first `count` elements at `pointer`, as an array.
func values<Element>(_ pointer: UnsafePointer<Element>, _ count: Int) -> [Element] {
    Array(UnsafeBufferPointer(start: pointer, count: count))
}

/// The first `count` elements at `pointer`, as an array.
func values<Element>(_ pointer: UnsafeMutablePointer<Element>, _ count: Int) -> [Element] {
    Array(UnsafeBufferPointer(start: pointer, count: count))
}

/// Row and column counts that exercise SIMD16 main loops and partial tails (one element up to
/// several vectors plus a remainder).
let elementwiseTestSizes = [1, 3, 17, 63, 65, 255]
