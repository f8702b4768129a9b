/// The element types of a safetensors file that the engine reads and writes. Every one converts
/// exactly to FP32 (I8 holds the integers of Q8 quantized weights, see `QuantizedMatrix`).
public enum SafeTensorDType: String, CaseIterable, Sendable {
    case f32 = "F32"
    case f16 = "F16"
    case bf16 = "BF16"
    case i8 = "I8"

    /// Bytes per element in the file.
    public var byteSize: Int {
        switch self {
        case .f32: return 4
        case .f16, .bf16: return 2
        case .i8: return 1
        }
    }

    /// True for the floating-point types (what model parameters may be stored as).
    public var isFloatingPoint: Bool { self != .i8 }
}

/// One named tensor of a safetensors file, held as FP32.
///
/// `data` is row-major with `shape` (outermost dimension first, as in PyTorch and numpy); a
/// scalar has shape `[]` and one element, a shape with a zero dimension has no elements.
/// `dtype` is the type the tensor was stored as when read, and the type writing stores: the data
/// must then be exactly representable in it (a value read from that type always is).
///
///     let weight = SafeTensor(name: "transformer.wte.weight", shape: [V, C], data: wte)
public struct SafeTensor: Equatable, Sendable {
    public var name: String
    public var dtype: SafeTensorDType
    public var shape: [Int]
    /// The elements, `shape.reduce(1, *)` of them.
    public var data: [Float]

    public init(name: String, dtype: SafeTensorDType = .f32, shape: [Int], data: [Float]) {
        self.name = name
        self.dtype = dtype
        self.shape = shape
        self.data = data
    }

    /// Equality of names, dtypes, shapes and the bit patterns of the data (so NaN == NaN).
    public static func == (a: SafeTensor, b: SafeTensor) -> Bool {
        a.name == b.name && a.dtype == b.dtype && a.shape == b.shape
            && a.data.elementsEqual(b.data) { $0.bitPattern == $1.bitPattern }
    }
}

/// "[2,3]": how shapes appear in error messages.
func describeShape(_ shape: [Int]) -> String {
    "[" + shape.map(String.init).joined(separator: ",") + "]"
}
