/// Layer normalization over the last dimension, on the layernorm kernels.
extension Tensor {
    /// x (…, C) normalized per row to zero mean and unit variance, then · weight (C) + bias (C).
    /// Saves the per-row mean and 1/std (rows) for the backward pass.
    public func layerNorm(weight: Tensor, bias: Tensor, eps: Float = 1e-5) throws -> Tensor {
        guard rank >= 1, weight.shape == [shape[rank - 1]], bias.shape == weight.shape else {
            throw AttentionError.shape(
                "layerNorm: input \(shape) with weight \(weight.shape) and bias \(bias.shape) (need x (…, C), weight (C), bias (C))")
        }
        let x = self
        let channels = shape[rank - 1]
        let rows = channels == 0 ? 0 : count / channels
        let mean = TensorStorage(uninitializedCount: rows), rstd = TensorStorage(uninitializedCount: rows)
        let out = Tensor.build(shape, count: count) { out in
            layernormForward(out: out, mean: mean.pointer, rstd: rstd.pointer, inp: x.storage.pointer,
                             weight: weight.storage.pointer, bias: bias.storage.pointer,
                             rows: rows, channels: channels, eps: eps)
        }
        return Tensor.record(out, op: "layernorm", inputs: [x, weight, bias]) { dout in
            AutogradNode.receiving(x.node, count: x.count) { dinp in
                AutogradNode.accumulating(weight.node, count: channels) { dweight in
                    AutogradNode.accumulating(bias.node, count: channels) { dbias in
                        layernormBackward(dinp: dinp, dweight: dweight, dbias: dbias, dout: dout,
                                          inp: x.storage.pointer, weight: weight.storage.pointer,
                                          mean: mean.pointer, rstd: rstd.pointer, rows: rows, channels: channels)
                    }
                }
            }
        }
    }
}
