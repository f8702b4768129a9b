/// Stochastic gradient descent with momentum, Nesterov momentum and L2 weight decay, with the
/// update rule of `torch.optim.SGD` (dampening 0).
///
/// ```swift
/// let optimizer = SGD(model.parameters, learningRate: 0.1, momentum: 0.9)
/// for step in 0..<steps {
///     model.zeroGrad()
///     let loss = try model(x).mseLoss(y)
///     try loss.backward()
///     optimizer.step()
/// }
/// ```
public final class SGD: Optimizer {
    public let parameters: [Parameter]
    public var learningRate: Float
    public let momentum: Float
    public let nesterov: Bool
    public let weightDecay: Float
    /// Momentum buffers, one per parameter, created on the first step that sees a gradient.
    private var velocity: [TensorStorage?]

    /// Throws for a negative learning rate, momentum or weight decay, or Nesterov without momentum.
    public init(_ parameters: [Parameter], learningRate: Float, momentum: Float = 0,
                nesterov: Bool = false, weightDecay: Float = 0) throws {
        guard learningRate >= 0, momentum >= 0, weightDecay >= 0 else {
            throw AttentionError.invalid("SGD: learning rate \(learningRate), momentum \(momentum) and weight decay \(weightDecay) must be >= 0")
        }
        guard !nesterov || momentum > 0 else {
            throw AttentionError.invalid("SGD: Nesterov momentum needs momentum > 0")
        }
        self.parameters = parameters
        self.learningRate = learningRate
        self.momentum = momentum
        self.nesterov = nesterov
        self.weightDecay = weightDecay
        velocity = Array(repeating: nil, count: parameters.count)
    }

    /// Updates every parameter that has a gradient; parameters without one are left alone.
    public func step() {
        for (index, parameter) in parameters.enumerated() {
            parameter.update { value, grad, count in
                guard let grad else { return }
                var buffer: UnsafeMutablePointer<Float>?
                var firstStep = false
                if momentum > 0 {
                    if velocity[index] == nil {
                        velocity[index] = TensorStorage(uninitializedCount: count)
                        firstStep = true
                    }
                    buffer = velocity[index]!.pointer
                }
                sgdUpdate(params: value, grads: grad, velocity: buffer, count: count,
                          learningRate: learningRate, momentum: momentum, nesterov: nesterov,
                          weightDecay: weightDecay, firstStep: firstStep)
            }
        }
    }
}
