/// The activation functions G of a neuron y = G(a·x + b), as a value layers can be configured with.
public enum Activation: String, CaseIterable, Sendable {
    case sigmoid, tanh, relu, gelu, identity

    /// G applied elementwise.
    public func callAsFunction(_ x: Tensor) -> Tensor {
        switch self {
        case .sigmoid: return x.sigmoid()
        case .tanh: return x.tanh()
        case .relu: return x.relu()
        case .gelu: return x.gelu()
        case .identity: return x
        }
    }
}
