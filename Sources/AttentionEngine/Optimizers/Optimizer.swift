/// An optimizer updates its parameters in place from their gradients; `learningRate` may be set
/// before each step (e.g. from a `LearningRateSchedule`).
public protocol Optimizer: AnyObject {
    var parameters: [Parameter] { get }
    var learningRate: Float { get set }
    /// Applies one update to every parameter that has a gradient.
    func step()
}

extension Optimizer {
    /// Clears the gradients of all parameters.
    public func zeroGrad() { parameters.forEach { $0.zeroGrad() } }
}
