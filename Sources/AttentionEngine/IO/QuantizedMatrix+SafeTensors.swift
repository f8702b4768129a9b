/// How a `QuantizedMatrix` is stored in a safetensors file, under the name of the FP32 weight it
/// replaces (e.g. `transformer.h.0.mlp.c_fc.weight`), so that the `safetensors` package opens it:
/// - BF16: one BF16 tensor `<name>` (OUT, IN);
/// - Q8: one I8 tensor `<name>` (OUT, IN) with values in -127...127, and one F32 tensor
///   `<name>.scales` (OUT, IN / 32): the scale of each block of 32 weights along IN (F16 and
///   BF16 scales are read too).
extension WeightFormat {
    /// The `__metadata__` entries of a file holding matrices of this format: `weight_format`,
    /// and `q8_block_size` ("32") for Q8.
    public var metadata: [String: String] {
        self == .q8 ? ["weight_format": rawValue, "q8_block_size": "\(q8BlockSize)"] : ["weight_format": rawValue]
    }

    /// The format `metadata` declares (see `metadata`), nil for FP32. `q8_block_size` may be
    /// absent (32 is the only block size). Throws `.format` for an unknown format, or a
    /// `q8_block_size` other than 32 or in a file that is not Q8.
    public static func stored(in metadata: [String: String]) throws -> WeightFormat? {
        guard let text = metadata["weight_format"] else {
            if metadata["q8_block_size"] != nil {
                throw AttentionError(.format, "'q8_block_size' without 'weight_format' q8")
            }
            return nil
        }
        guard let format = WeightFormat(rawValue: text) else {
            throw AttentionError(.format, "weight_format '\(text)' is not one this reader knows (\(allCases.map(\.rawValue).joined(separator: ", ")))")
        }
        if let block = metadata["q8_block_size"] {
            guard format == .q8 else { throw AttentionError(.format, "a \(format.rawValue) file has no q8_block_size (found '\(block)')") }
            guard block == "\(q8BlockSize)" else {
                throw AttentionError(.format, "q8_block_size '\(block)' is not supported (Q8 blocks hold \(q8BlockSize) weights)")
            }
        }
        return format
    }
}

extension QuantizedMatrix {
    /// The name of the Q8 scales of the weight called `name`.
    public static func scalesName(of name: String) -> String { name + ".scales" }

    /// The tensors that store this matrix as the weight called `name`.
    public func safeTensors(named name: String) -> [SafeTensor] {
        switch format {
        case .bf16:
            return [SafeTensor(name: name, dtype: .bf16, shape: [rows, columns],
                               data: dequantized().scalars)]
        case .q8:
            return [SafeTensor(name: name, dtype: .i8, shape: [rows, columns], data: quants.map(Float.init)),
                    SafeTensor(name: Self.scalesName(of: name), dtype: .f32, shape: [rows, columns / q8BlockSize],
                               data: scales)]
        }
    }

    /// Reads the weight `name` of shape `shape` (OUT, IN) stored as `format` in `file`. Throws
    /// `.format` errors naming the tensor for a missing tensor or scales, a wrong dtype or shape,
    /// an input dimension that the Q8 block size does not divide, and values the format forbids
    /// (NaN, infinite or negative scales, -128).
    public convenience init(_ file: SafeTensorsFile, named name: String, shape: [Int], format: WeightFormat) throws {
        let tensor = try file.tensor(named: name)
        let expected: SafeTensorDType = format == .bf16 ? .bf16 : .i8
        guard tensor.dtype == expected else {
            throw AttentionError(.format, "tensor '\(name)' is \(tensor.dtype.rawValue); a \(format.rawValue) checkpoint stores it as \(expected.rawValue)")
        }
        guard tensor.shape == shape, shape.count == 2 else {
            throw AttentionError(.format, "tensor '\(name)' has shape \(describeShape(tensor.shape)), expected \(describeShape(shape))")
        }
        let (rows, columns) = (shape[0], shape[1])
        do {
            switch format {
            case .bf16:
                try self.init(bf16Bits: tensor.data.map(bfloat16Bits), rows: rows, columns: columns)
            case .q8:
                let scalesName = Self.scalesName(of: name)
                guard columns % q8BlockSize == 0 else {
                    throw AttentionError.invalid("the Q8 block size \(q8BlockSize) does not divide the input dimension \(columns)")
                }
                let scales = try file.tensor(named: scalesName)
                guard scales.dtype.isFloatingPoint else {
                    throw AttentionError.invalid("'\(scalesName)' is \(scales.dtype.rawValue), not F32, F16 or BF16")
                }
                guard scales.shape == [rows, columns / q8BlockSize] else {
                    throw AttentionError.invalid("'\(scalesName)' has shape \(describeShape(scales.shape)), expected \(describeShape([rows, columns / q8BlockSize])) (one scale per \(q8BlockSize) weights)")
                }
                try self.init(quants: tensor.data.map { Int8($0) }, scales: scales.data, rows: rows, columns: columns)
            }
        } catch let error as AttentionError {
            throw AttentionError(.format, "tensor '\(name)': \(error.message)")
        }
    }
}
