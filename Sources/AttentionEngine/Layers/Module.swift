/// A trainable tensor owned by a layer. Optimizers update `value` in place after `backward()`
/// has filled its gradient.
public final class Parameter {
    /// The current value: a leaf tensor that requires a gradient.
    public private(set) var value: Tensor

    /// Shape of the value (kept when the value is released).
    public let shape: [Int]

    /// True once `releaseValue()` dropped the value.
    public private(set) var isReleased = false

    /// A parameter holding `initial` (its autograd history, if any, is dropped).
    public init(_ initial: Tensor) {
        value = initial.detached().requiringGrad()
        shape = initial.shape
    }

    /// Drops the FP32 value (an empty tensor from then on) when a narrowed copy of it serves
    /// inference (`Module.quantize(to:)`); `shape` stays. Such a parameter cannot be trained or
    /// saved as FP32 until `assign` gives it a value again.
    public func releaseValue() {
        value = try! Tensor.zeros([0])  // cannot fail: [0] is a valid shape
        isReleased = true
    }

    /// The gradient accumulated by `backward()`, or nil.
    public var grad: Tensor? { value.grad }

    /// Forgets the gradient.
    public func zeroGrad() { value.zeroGrad() }

    /// Raw access to the value and its gradient (nil when none arrived) for optimizer kernels.
    /// The value is updated in place; it is copied first only if a live graph still shares it.
    public func update(_ body: (_ value: UnsafeMutablePointer<Float>, _ grad: UnsafePointer<Float>?,
                                _ count: Int) throws -> Void) rethrows {
        let grad = value.node?.grad
        try value.withUnsafeMutableBufferPointer { try body($0.baseAddress!, grad.map { UnsafePointer($0) }, $0.count) }
    }

    /// Replaces the value (e.g. loading a checkpoint); the shape must match. Clears the gradient.
    public func assign(_ newValue: Tensor) throws {
        guard newValue.shape == shape else {
            throw AttentionError.shape("Parameter.assign: shape \(newValue.shape) for a parameter of shape \(shape)")
        }
        value = newValue.detached().requiringGrad()
        isReleased = false
    }
}

/// A layer or model: parameters with stable dotted names (the checkpoint tensor names, nanoGPT
/// style: `h.0.attn.c_attn.weight`), child modules, and a training/evaluation switch.
///
/// A conforming class lists its own parameters and direct children; the extension derives the
/// recursive views.
public protocol Module: AnyObject {
    /// The module's own parameters, by local name (e.g. "weight", "bias").
    var localParameters: [(name: String, parameter: Parameter)] { get }
    /// Direct sub-modules, by local name (e.g. "attn", "mlp", "0").
    var children: [(name: String, module: any Module)] { get }
    /// Switches training behaviour (dropout) on or off, here and in all children.
    func setTraining(_ training: Bool)
}

extension Module {
    public var localParameters: [(name: String, parameter: Parameter)] { [] }
    public var children: [(name: String, module: any Module)] { [] }

    public func setTraining(_ training: Bool) {
        for child in children { child.module.setTraining(training) }
    }

    /// Every parameter below this module, by dotted name, in declaration order.
    public var namedParameters: [(name: String, parameter: Parameter)] {
        var result = localParameters
        for (childName, child) in children {
            result += child.namedParameters.map { ("\(childName).\($0.name)", $0.parameter) }
        }
        return result
    }

    /// Every parameter below this module, in declaration order.
    public var parameters: [Parameter] { namedParameters.map(\.parameter) }

    /// Number of scalars of the parameters (of their shapes, so released values still count).
    public var parameterCount: Int { parameters.reduce(0) { $0 + $1.shape.reduce(1, *) } }

    /// Clears the gradients of all parameters.
    public func zeroGrad() { parameters.forEach { $0.zeroGrad() } }
}
