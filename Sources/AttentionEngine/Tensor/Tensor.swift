/// An n-dimensional array of FP32 values with a shape, contiguous row-major storage and value
/// semantics (copy-on-write), which records the operations applied to it for reverse-mode
/// autograd (see `Tape.swift`).
///
/// Dimension letters used across the engine: B batch, T time, C channels, NH heads,
/// HS head size, V vocabulary.
///
/// ```swift
/// var rng = Random(seed: 42)
/// let w = try Tensor.normal([3, 2], std: 0.1, using: &rng).requiringGrad()
/// let x = try Tensor([[1, 2], [3, 4], [5, 6]])
/// let loss = try (w * x).sum()
/// try loss.backward()
/// print(w.grad!.scalars)   // == x.scalars
/// ```
public struct Tensor {
    /// Sizes of the dimensions, outermost first. `[]` is a scalar (one element).
    public let shape: [Int]
    @usableFromInline var storage: TensorStorage
    /// The autograd node of this value: a leaf for tensors that require a gradient, the op that
    /// produced it for recorded results, nil for constants.
    var node: AutogradNode?

    /// Number of elements (the product of `shape`).
    public var count: Int { storage.count }
    /// Number of dimensions.
    public var rank: Int { shape.count }

    init(shape: [Int], storage: TensorStorage, node: AutogradNode? = nil) {
        self.shape = shape
        self.storage = storage
        self.node = node
    }

    /// Checks `shape` (no negative dimension, no overflowing element count) and returns the count.
    static func elementCount(_ shape: [Int], _ context: @autoclosure () -> String = "Tensor") throws -> Int {
        var count = 1
        for size in shape {
            guard size >= 0 else {
                throw AttentionError.shape("\(context()): negative dimension in shape \(shape)")
            }
            let (product, overflow) = count.multipliedReportingOverflow(by: size)
            guard !overflow, product <= Int(Int32.max) * 64 else {
                throw AttentionError.shape("\(context()): shape \(shape) has too many elements")
            }
            count = product
        }
        return count
    }

    /// A tensor of `shape` whose elements are written by `initializer` (on a raw buffer).
    static func build(_ shape: [Int], count: Int,
                      _ initializer: (UnsafeMutablePointer<Float>) throws -> Void) rethrows -> Tensor {
        let storage = TensorStorage(uninitializedCount: count)
        try initializer(storage.pointer)
        return Tensor(shape: shape, storage: storage)
    }

    /// A tensor of `shape` filled with `value`. Throws for a negative dimension.
    public init(repeating value: Float, shape: [Int]) throws {
        let count = try Tensor.elementCount(shape)
        self.init(shape: shape, storage: TensorStorage(count: count, repeating: value))
    }

    /// Zeros of `shape`.
    public static func zeros(_ shape: [Int]) throws -> Tensor { try Tensor(repeating: 0, shape: shape) }

    /// Ones of `shape`.
    public static func ones(_ shape: [Int]) throws -> Tensor { try Tensor(repeating: 1, shape: shape) }

    /// A scalar (shape `[]`).
    public init(_ value: Float) {
        self.init(shape: [], storage: TensorStorage(count: 1, repeating: value))
    }

    /// A tensor of `shape` holding `values` in row-major order. Throws when the counts differ.
    public init(shape: [Int], values: [Float]) throws {
        let count = try Tensor.elementCount(shape)
        guard values.count == count else {
            throw AttentionError.shape("Tensor(shape:values:): \(values.count) values for shape \(shape)")
        }
        let storage = TensorStorage(uninitializedCount: count)
        if count > 0 { values.withUnsafeBufferPointer { storage.pointer.update(from: $0.baseAddress!, count: count) } }
        self.init(shape: shape, storage: storage)
    }

    /// A 1-D tensor (N) from `values`.
    public init(_ values: [Float]) {
        // A 1-D shape always matches its values.
        try! self.init(shape: [values.count], values: values)
    }

    /// A 2-D tensor (rows, columns) from nested arrays. Throws for ragged rows.
    public init(_ rows: [[Float]]) throws {
        let columns = rows.first?.count ?? 0
        guard rows.allSatisfy({ $0.count == columns }) else {
            throw AttentionError.shape("Tensor(rows): rows have different lengths")
        }
        try self.init(shape: [rows.count, columns], values: rows.flatMap { $0 })
    }

    /// Normally distributed values N(mean, std²), drawn from `rng` in row-major order.
    public static func normal(_ shape: [Int], mean: Float = 0, std: Float = 1,
                              using rng: inout Random) throws -> Tensor {
        let count = try elementCount(shape)
        return build(shape, count: count) { out in
            for i in 0..<count { out[i] = mean + std * rng.nextNormal() }
        }
    }

    /// Uniformly distributed values in [low, high), drawn from `rng` in row-major order.
    public static func uniform(_ shape: [Int], low: Float = 0, high: Float = 1,
                               using rng: inout Random) throws -> Tensor {
        let count = try elementCount(shape)
        return build(shape, count: count) { out in
            for i in 0..<count { out[i] = low + (high - low) * rng.nextUniform() }
        }
    }

    /// The elements in row-major order.
    public var scalars: [Float] { Array(UnsafeBufferPointer(start: storage.pointer, count: count)) }

    /// The value of a one-element tensor.
    public var item: Float { storage.pointer[0] }

    /// Read access to the elements (row-major).
    public func withUnsafeBufferPointer<R>(_ body: (UnsafeBufferPointer<Float>) throws -> R) rethrows -> R {
        try body(UnsafeBufferPointer(start: storage.pointer, count: count))
    }

    /// Write access to the elements (row-major). Copies the storage first if it is shared, and
    /// detaches the tensor from the recorded graph (unless it is a leaf, e.g. a parameter that an
    /// optimizer updates in place).
    public mutating func withUnsafeMutableBufferPointer<R>(
        _ body: (UnsafeMutableBufferPointer<Float>) throws -> R) rethrows -> R {
        if !isKnownUniquelyReferenced(&storage) { storage = storage.copy() }
        if let node, !node.isLeaf { self.node = nil }
        return try body(UnsafeMutableBufferPointer(start: storage.pointer, count: count))
    }

    /// Element at a row-major flat index. An index outside 0..<count is a programming error and
    /// stops the program (checked even in -Ounchecked builds, like an Array index).
    public subscript(flat index: Int) -> Float {
        get {
            checkIndex(index)
            return storage.pointer[index]
        }
        set {
            checkIndex(index)
            withUnsafeMutableBufferPointer { $0[index] = newValue }
        }
    }

    private func checkIndex(_ index: Int) {
        if index < 0 || index >= count { fatalError("Tensor: flat index \(index) out of 0..<\(count)") }
    }
}

extension Tensor: CustomStringConvertible {
    public var description: String {
        let preview = scalars.prefix(8).map { "\($0)" }.joined(separator: ", ")
        return "Tensor(shape: \(shape), [\(preview)\(count > 8 ? ", …" : "")])"
    }
}
