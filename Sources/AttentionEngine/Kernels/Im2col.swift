/// Unfolding a sequence into sliding windows (im2col), so that a 1-D convolution becomes a GEMM.
///
/// B batch, T time, C channels, K kernel size. cols (B,T,C·K) holds, for output step t, the K
/// input steps t − padLeft + j·dilation (j = 0..<K), zero outside 0..<T, in the order (c, j) so
/// that a PyTorch Conv1d weight (OUT, C, K) reshaped to (OUT, C·K) multiplies it directly.

/// cols (B,T,C·K) from inp (B,T,C) (overwrites). Rows (b, t) are independent.
package func im2colForward(cols: UnsafeMutablePointer<Float>, inp: UnsafePointer<Float>, batch: Int, time: Int,
                          channels: Int, kernelSize: Int, dilation: Int, padLeft: Int) {
    let width = channels * kernelSize
    Parallel.forEachChunk(batch * time, grain: max(1, 32_768 / max(width, 1))) { range in
        for row in range {
            let b = row / time, t = row % time
            let out = cols + row * width
            for j in 0..<kernelSize {
                let source = t - padLeft + j * dilation
                if source < 0 || source >= time {
                    for c in 0..<channels { out[c * kernelSize + j] = 0 }
                } else {
                    let x = inp + (b * time + source) * channels
                    for c in 0..<channels { out[c * kernelSize + j] = x[c] }
                }
            }
        }
    }
}

/// dinp (B,T,C) = the sum of dcols (B,T,C·K) over every window that read each input step
/// (overwrites). Batches run in parallel; within one, contributions add in (t, j) order, so the
/// result is the same on any thread count.
package func im2colBackward(dinp: UnsafeMutablePointer<Float>, dcols: UnsafePointer<Float>, batch: Int, time: Int,
                           channels: Int, kernelSize: Int, dilation: Int, padLeft: Int) {
    let width = channels * kernelSize
    Parallel.forEachChunk(batch, grain: max(1, 32_768 / max(time * width, 1))) { range in
        for b in range {
            (dinp + b * time * channels).initialize(repeating: 0, count: time * channels)
            for t in 0..<time {
                let d = dcols + (b * time + t) * width
                for j in 0..<kernelSize {
                    let source = t - padLeft + j * dilation
                    guard source >= 0, source < time else { continue }
                    let dx = dinp + (b * time + source) * channels
                    for c in 0..<channels { dx[c] += d[c * kernelSize + j] }
                }
            }
        }
    }
}

/// Reference for `im2colForward`: cols[b,t,c·K+j] = inp[b, t − padLeft + j·dilation, c], 0
/// outside the sequence.
package func im2colForwardNaive(cols: UnsafeMutablePointer<Float>, inp: UnsafePointer<Float>, batch: Int, time: Int,
                                channels: Int, kernelSize: Int, dilation: Int, padLeft: Int) {
    for b in 0..<batch {
        for t in 0..<time {
            for c in 0..<channels {
                for j in 0..<kernelSize {
                    let source = t - padLeft + j * dilation
                    cols[((b * time + t) * channels + c) * kernelSize + j] =
                        (0..<time).contains(source) ? inp[(b * time + source) * channels + c] : 0
                }
            }
        }
    }
}

/// Reference for `im2colBackward`, in Double: dinp[b,s,c] = Σ over (t, j) with
/// t − padLeft + j·dilation = s of dcols[b,t,c·K+j].
package func im2colBackwardNaive(dinp: UnsafeMutablePointer<Float>, dcols: UnsafePointer<Float>, batch: Int, time: Int,
                                 channels: Int, kernelSize: Int, dilation: Int, padLeft: Int) {
    for b in 0..<batch {
        for s in 0..<time {
            for c in 0..<channels {
                var sum = 0.0
                for t in 0..<time {
                    for j in 0..<kernelSize where t - padLeft + j * dilation == s {
                        sum += Double(dcols[((b * time + t) * channels + c) * kernelSize + j])
                    }
                }
                dinp[(b * time + s) * channels + c] = Float(sum)
            }
        }
    }
}
