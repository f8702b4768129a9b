/// The im2col op (kernels and layout in Kernels/Im2col.swift): a 1-D convolution becomes a GEMM.
extension Tensor {
    /// x (B,T,C) → sliding windows (B,T,C·K) for a 1-D convolution with `padLeft` zeros before
    /// the sequence (and as many after as the windows need). Throws unless K ≥ 1, dilation ≥ 1
    /// and 0 ≤ padLeft.
    public func im2col(kernelSize: Int, dilation: Int, padLeft: Int) throws -> Tensor {
        guard rank == 3, kernelSize >= 1, dilation >= 1, padLeft >= 0 else {
            throw AttentionError.shape(
                "im2col: input \(shape), kernel \(kernelSize), dilation \(dilation), padding \(padLeft) (need x (B,T,C), K ≥ 1, dilation ≥ 1, padding ≥ 0)")
        }
        let x = self
        let (batch, time, channels) = (shape[0], shape[1], shape[2])
        let outShape = [batch, time, channels * kernelSize]
        let out = try Tensor.build(outShape, count: Tensor.elementCount(outShape, "im2col")) {
            im2colForward(cols: $0, inp: x.storage.pointer, batch: batch, time: time, channels: channels,
                          kernelSize: kernelSize, dilation: dilation, padLeft: padLeft)
        }
        return Tensor.record(out, op: "im2col", inputs: [x]) { dout in
            x.node?.receive {
                im2colBackward(dinp: $0, dcols: dout, batch: batch, time: time, channels: channels,
                               kernelSize: kernelSize, dilation: dilation, padLeft: padLeft)
            }
        }
    }
}
