/// Adam and AdamW on the `adamwUpdate` kernel.
///
/// AdamW (`decoupledWeightDecay: true`, Loshchilov & Hutter) decays the weights directly:
/// p −= lr · (m̂ / (√v̂ + eps) + weightDecay · p). Adam (`false`) adds weightDecay · p to the
/// gradient first (L2 regularization, as `torch.optim.Adam`), then takes the same step with no
/// decoupled decay. m̂ and v̂ are the bias-corrected moments of step t (counted from 1).
public final class Adam: Optimizer {
    public let parameters: [Parameter]
    public var learningRate: Float
    public let beta1, beta2, eps, weightDecay: Float
    public let decoupledWeightDecay: Bool
    /// Number of steps taken so far.
    public internal(set) var stepCount = 0
    /// Per parameter (nil until its first gradient); internal so that checkpoints can save them.
    var moments: [(m: TensorStorage, v: TensorStorage)?]

    /// Throws for a negative learning rate or weight decay, betas outside [0, 1), or eps ≤ 0.
    public init(_ parameters: [Parameter], learningRate: Float, beta1: Float = 0.9, beta2: Float = 0.999,
                eps: Float = 1e-8, weightDecay: Float = 0, decoupledWeightDecay: Bool = false) throws {
        guard learningRate >= 0, weightDecay >= 0, (0..<1).contains(beta1), (0..<1).contains(beta2), eps > 0 else {
            throw AttentionError.invalid(
                "Adam: learning rate \(learningRate), betas (\(beta1), \(beta2)), eps \(eps), weight decay \(weightDecay) out of range")
        }
        self.parameters = parameters
        self.learningRate = learningRate
        self.beta1 = beta1
        self.beta2 = beta2
        self.eps = eps
        self.weightDecay = weightDecay
        self.decoupledWeightDecay = decoupledWeightDecay
        moments = Array(repeating: nil, count: parameters.count)
    }

    /// AdamW: Adam with decoupled weight decay (0.01 by default, as PyTorch).
    public static func adamW(_ parameters: [Parameter], learningRate: Float, beta1: Float = 0.9, beta2: Float = 0.999,
                             eps: Float = 1e-8, weightDecay: Float = 0.01) throws -> Adam {
        try Adam(parameters, learningRate: learningRate, beta1: beta1, beta2: beta2, eps: eps,
                 weightDecay: weightDecay, decoupledWeightDecay: true)
    }

    /// One update of every parameter that has a gradient (moments start at zero).
    public func step() { step(gradientScale: 1) }

    /// One update with every gradient multiplied by `gradientScale` (the factor of global
    /// gradient clipping, see `gradientClipScale`), without rewriting the gradients.
    public func step(gradientScale: Float) {
        stepCount += 1
        for (index, parameter) in parameters.enumerated() {
            parameter.update { value, grad, count in
                guard let grad else { return }
                if moments[index] == nil {
                    moments[index] = (TensorStorage(count: count, repeating: 0), TensorStorage(count: count, repeating: 0))
                }
                let (m, v) = moments[index]!
                var gradient = grad
                var coupled: TensorStorage?
                if !decoupledWeightDecay && weightDecay > 0 {
                    let g = TensorStorage(uninitializedCount: count)
                    vectorAffine(out: g.pointer, x: grad, alpha: gradientScale, beta: 0, count: count)
                    vectorAddScaled(out: g.pointer, x: value, alpha: weightDecay, count: count)
                    coupled = g
                    gradient = UnsafePointer(g.pointer)
                }
                adamwUpdate(params: value, grads: gradient, m: m.pointer, v: v.pointer, count: count,
                            learningRate: learningRate, beta1: beta1, beta2: beta2, eps: eps,
                            weightDecay: decoupledWeightDecay ? weightDecay : 0, step: stepCount,
                            gradientScale: coupled == nil ? gradientScale : 1)
                withExtendedLifetime(coupled) {}
            }
        }
    }
}
