/// Activation ops (sigmoid, tanh, ReLU, GELU) on the elementwise kernels, with their backward
/// passes. Each keeps what its backward kernel reads: the output for sigmoid and tanh, the input
/// for ReLU and GELU.
extension Tensor {
    /// The output of `forward` on this tensor's elements, same shape.
    private func mapped(_ forward: (UnsafeMutablePointer<Float>, UnsafePointer<Float>, Int) -> Void) -> Tensor {
        let input = self
        return Tensor.build(shape, count: count) { forward($0, input.storage.pointer, input.count) }
    }

    /// 1 / (1 + e^−x), elementwise.
    public func sigmoid() -> Tensor {
        let input = self
        let out = mapped { sigmoidForward(out: $0, inp: $1, count: $2) }
        return Tensor.record(out, op: "sigmoid", inputs: [input]) { dout in
            input.node?.receive { sigmoidBackward(dinp: $0, dout: dout, out: out.storage.pointer, count: out.count) }
        }
    }

    /// tanh(x), elementwise.
    public func tanh() -> Tensor {
        let input = self
        let out = mapped { tanhForward(out: $0, inp: $1, count: $2) }
        return Tensor.record(out, op: "tanh", inputs: [input]) { dout in
            input.node?.receive { tanhBackward(dinp: $0, dout: dout, out: out.storage.pointer, count: out.count) }
        }
    }

    /// max(x, 0), elementwise (gradient 0 at 0).
    public func relu() -> Tensor {
        let input = self
        let out = mapped { reluForward(out: $0, inp: $1, count: $2) }
        return Tensor.record(out, op: "relu", inputs: [input]) { dout in
            input.node?.receive { reluBackward(dinp: $0, dout: dout, inp: input.storage.pointer, count: input.count) }
        }
    }

    /// GELU, exact (PyTorch's `nn.GELU()`, which nanoGPT's MLP uses): ½x(1 + erf(x/√2)),
    /// elementwise.
    public func geluExact() -> Tensor {
        let input = self
        let out = mapped { geluErfForward(out: $0, inp: $1, count: $2) }
        return Tensor.record(out, op: "gelu", inputs: [input]) { dout in
            input.node?.receive { geluErfBackward(dinp: $0, dout: dout, inp: input.storage.pointer, count: input.count) }
        }
    }

    /// GELU, tanh approximation (GPT-2's): ½x(1 + tanh(√(2/π)(x + 0.044715x³))), elementwise.
    public func gelu() -> Tensor {
        let input = self
        let out = mapped { geluForward(out: $0, inp: $1, count: $2) }
        return Tensor.record(out, op: "gelu (tanh)", inputs: [input]) { dout in
            input.node?.receive { geluBackward(dinp: $0, dout: dout, inp: input.storage.pointer, count: input.count) }
        }
    }
}
