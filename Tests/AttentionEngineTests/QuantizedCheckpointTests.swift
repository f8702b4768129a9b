import AttentionEngine
import XCTest

/// Checkpoints of models narrowed to BF16 / Q8 (`Module.quantize(to:)`): what is written, that
/// loading gives back exactly the narrowed model, and the errors for hostile files.
final class QuantizedCheckpointTests: XCTestCase {
    private let vocabulary = 40

    private func gpt(nEmbd: Int = 64) throws -> GPT {
        try GPT(config: GPTConfig(nLayer: 2, nHead: 4, nEmbd: nEmbd, contextLength: 16, vocabularySize: vocabulary), seed: 3)
    }

    private func tokens(_ count: Int) -> [Int32] { (0..<count).map { Int32(4 + $0 * 7 % (vocabulary - 4)) } }

    private func logits(_ model: GPT) throws -> [Float] {
        try Autograd.withNoGrad { try model.logits(tokens: tokens(12), batch: 1, time: 12).scalars }
    }

    /// Narrowed in memory, saved and loaded: the loaded model computes bitwise the same logits,
    /// holds the same format, has released its FP32 matrices, and reports the FP32 parameter count.
    func testGPTRoundTripIsExact() throws {
        for format in WeightFormat.allCases {
            let model = try gpt()
            let count = model.parameterCount
            let reference = try logits(model)
            try model.quantize(to: format)
            let narrowed = try logits(model)
            XCTAssertNotEqual(narrowed, reference, "\(format): narrowing changes the logits a little")
            for (a, b) in zip(narrowed, reference) { XCTAssertEqual(a, b, accuracy: 0.05) }

            let loaded = try ModelCheckpoint.load(bytes: ModelCheckpoint(model: model).bytes()).model as! GPT
            XCTAssertEqual(loaded.weightFormat, format)
            XCTAssertEqual(try logits(loaded), narrowed, "\(format)")
            XCTAssertEqual(loaded.parameterCount, count)
            let names = loaded.quantizableWeights.map(\.name)
            XCTAssertEqual(names.count, 2 * 4 + 1)  // c_attn, attn.c_proj, c_fc, mlp.c_proj per block; wte
            XCTAssertTrue(names.contains("transformer.wte.weight"))
            for (name, layer) in loaded.quantizableWeights {
                XCTAssertTrue(layer.weight.isReleased, name)
                XCTAssertEqual(layer.quantizedWeight?.format, format, name)
            }
            XCTAssertFalse(loaded.transformer.wpe.weight.isReleased, "position tables stay FP32")
        }
    }

    func testSeq2SeqRoundTripAnswersTheSame() throws {
        let config = Seq2SeqConfig(nEncoderLayer: 1, nDecoderLayer: 1, nHead: 2, nEmbd: 32, maxSourceLength: 8,
                                   maxTargetLength: 8, vocabularySize: vocabulary)
        let model = try Seq2Seq(config: config, seed: 5)
        try model.quantize(to: .q8)
        let options = GenerationOptions(maxNewTokens: 6, stopAtEOS: false)
        let answer = try model.answer(question: tokens(5), options: options).tokens
        let loaded = try ModelCheckpoint.load(bytes: ModelCheckpoint(model: model).bytes()).model as! Seq2Seq
        XCTAssertEqual(loaded.weightFormat, .q8)
        XCTAssertEqual(try loaded.answer(question: tokens(5), options: options).tokens, answer)
    }

    /// The file holds BF16, or I8 plus F32 scales (OUT, IN/32), under the FP32 names, the format
    /// in its metadata, no `lm_head.weight` copy and FP32 for everything else.
    func testFileLayout() throws {
        for format in WeightFormat.allCases {
            let model = try gpt()
            try model.quantize(to: format)
            let file = try SafeTensorsFile.read(bytes: ModelCheckpoint(model: model).bytes())
            XCTAssertEqual(file.metadata["weight_format"], format.rawValue)
            XCTAssertEqual(file.metadata["q8_block_size"], format == .q8 ? "32" : nil)
            XCTAssertThrowsError(try file.tensor(named: "lm_head.weight"))
            let fc = try file.tensor(named: "transformer.h.0.mlp.c_fc.weight")
            XCTAssertEqual(fc.shape, [256, 64])
            XCTAssertEqual(fc.dtype, format == .bf16 ? .bf16 : .i8)
            if format == .q8 {
                let scales = try file.tensor(named: "transformer.h.0.mlp.c_fc.weight.scales")
                XCTAssertEqual(scales.dtype, .f32)
                XCTAssertEqual(scales.shape, [256, 2])
                XCTAssertTrue(fc.data.allSatisfy { abs($0) <= 127 && $0 == $0.rounded() })
            }
            XCTAssertEqual(try file.tensor(named: "transformer.h.0.mlp.c_fc.bias").dtype, .f32)
            XCTAssertEqual(try file.tensor(named: "transformer.wpe.weight").dtype, .f32)
        }
    }

    /// Q8 needs input dimensions that 32 divides: the error names the matrix, and the model is
    /// left as it was (all or nothing). BF16 narrows the same model.
    func testQuantizeIsAllOrNothing() throws {
        let model = try gpt(nEmbd: 48)
        XCTAssertThrowsError(try model.quantize(to: .q8)) {
            XCTAssertTrue("\($0)".contains("transformer.wte.weight: "), "\($0)")
            XCTAssertTrue("\($0)".contains("does not divide the input dimension 48"), "\($0)")
        }
        XCTAssertNil(model.weightFormat)
        XCTAssertFalse(model.parameters.contains { $0.isReleased })
        try model.quantize(to: .bf16)
        XCTAssertThrowsError(try model.quantize(to: .q8)) { XCTAssertTrue("\($0)".contains("already holds bf16")) }
    }

    /// A finite weight that BF16 would round to infinity is refused, not stored as +inf.
    func testBF16OverflowIsRefused() throws {
        let weight = try Tensor(shape: [1, 4], values: [1, -2, .greatestFiniteMagnitude, 0])
        XCTAssertThrowsError(try QuantizedMatrix(quantizing: weight, as: .bf16)) {
            XCTAssertTrue("\($0)".contains("weight element 2 (3.4028235e+38) overflows BF16"), "\($0)")
        }
        let largest = Float(bitPattern: 0x7F7F_0000)  // the largest BF16
        XCTAssertEqual(try QuantizedMatrix(quantizing: Tensor(shape: [1, 1], values: [largest]), as: .bf16).bf16Bits, [0x7F7F])
    }

    /// A narrowed table's lookup gives the rows `dequantized()` gives.
    func testNarrowedEmbeddingLooksUpDequantizedRows() throws {
        var rng = Random(seed: 2)
        let table = try Embedding(vocabularySize: 10, channels: 64, rng: &rng)
        try table.adoptQuantizedWeight(QuantizedMatrix(quantizing: table.weight.value, as: .q8))
        let full = table.quantizedWeight!.dequantized().scalars
        let ids: [Int32] = [3, 9, 0, 3]
        let rows = try table(ids, shape: [2, 2])
        XCTAssertEqual(rows.shape, [2, 2, 64])
        XCTAssertEqual(rows.scalars, ids.flatMap { full[Int($0) * 64..<Int($0 + 1) * 64] })
        XCTAssertThrowsError(try table([10], shape: [1])) { XCTAssertTrue("\($0)".contains("token id 10 outside")) }
        XCTAssertThrowsError(try table([1, 2], shape: [3])) { XCTAssertTrue("\($0)".contains("2 token ids for shape")) }
    }

    // MARK: Hostile files

    /// The tensors and metadata of a Q8 GPT file, for tampering.
    private func q8File() throws -> (tensors: [SafeTensor], metadata: [String: String]) {
        let model = try gpt()
        try model.quantize(to: .q8)
        let file = try SafeTensorsFile.read(bytes: ModelCheckpoint(model: model).bytes())
        return (file.tensors, file.metadata)
    }

    private func assertLoadFails(_ tensors: [SafeTensor], _ metadata: [String: String], _ expected: String,
                                 line: UInt = #line) throws {
        let bytes = try SafeTensorsFile.write(tensors: tensors, metadata: metadata)
        XCTAssertThrowsError(try ModelCheckpoint.load(bytes: bytes), line: line) { error in
            guard let error = error as? AttentionError else { return XCTFail("\(error)", line: line) }
            XCTAssertEqual(error.kind, .format, error.message, line: line)
            XCTAssertTrue(error.message.contains(expected), "\(error.message) lacks \(expected)", line: line)
        }
    }

    private func changing(_ tensors: [SafeTensor], _ name: String, _ change: (inout SafeTensor) -> Void) -> [SafeTensor] {
        tensors.map { tensor in
            var tensor = tensor
            if tensor.name == name { change(&tensor) }
            return tensor
        }
    }

    func testHostileQ8Files() throws {
        let (tensors, metadata) = try q8File()
        let weight = "transformer.h.1.attn.c_proj.weight", scales = weight + ".scales"
        try assertLoadFails(tensors.filter { $0.name != scales }, metadata, "missing tensor '\(scales)'")
        try assertLoadFails(changing(tensors, scales) { $0.shape = [64, 1]; $0.data = Array($0.data.prefix(64)) },
                            metadata, "'\(scales)' has shape [64,1], expected [64,2]")
        for bad in [Float.nan, .infinity, -1] {
            try assertLoadFails(changing(tensors, scales) { $0.data[5] = bad }, metadata, "scale 5 is")
        }
        try assertLoadFails(changing(tensors, weight) { $0.data[7] = -128 }, metadata, "value 7 is -128")
        try assertLoadFails(changing(tensors, scales) { $0.dtype = .i8; $0.data = $0.data.map { _ in 1 } },
                            metadata, "is I8, not F32, F16 or BF16")
        try assertLoadFails(changing(tensors, weight) { $0.dtype = .f32 }, metadata, "tensor '\(weight)' is F32; a q8 checkpoint stores it as I8")
        try assertLoadFails(changing(tensors, "transformer.ln_f.weight") { $0.dtype = .i8; $0.data = $0.data.map { $0.rounded() } },
                            metadata, "tensor 'transformer.ln_f.weight' is I8, not a floating-point type")
        var other = metadata
        other["q8_block_size"] = "64"
        try assertLoadFails(tensors, other, "q8_block_size '64' is not supported")
        for huge in [Float(3e37), 3e38] {
            try assertLoadFails(changing(tensors, scales) { $0.data[3] = huge }, metadata, "so that 127 × scale is finite")
        }
        other = metadata
        other["weight_format"] = "bf16"
        try assertLoadFails(tensors, other, "a bf16 file has no q8_block_size")
        other = metadata
        other["q8_block_size"] = nil
        XCTAssertEqual(try ModelCheckpoint.load(bytes: SafeTensorsFile.write(tensors: tensors, metadata: other)).model.weightFormat,
                       .q8, "q8_block_size is optional")
        other = metadata
        other["weight_format"] = "q4"
        try assertLoadFails(tensors, other, "weight_format 'q4' is not one this reader knows")
        other = metadata
        other["weight_format"] = nil
        try assertLoadFails(tensors, other, "'q8_block_size' without 'weight_format'")
        other = metadata
        other["training.step"] = "1"
        try assertLoadFails(tensors, other, "training")
        try assertLoadFails(tensors + [SafeTensor(name: "lm_head.weight", shape: [1], data: [0])], metadata,
                            "unexpected tensor 'lm_head.weight'")
    }

    /// A BF16 file of a model whose input dimension (48) 32 does not divide, relabelled Q8: the
    /// error says so instead of reading past the scales.
    func testQ8BlockSizeThatDoesNotDivide() throws {
        let model = try gpt(nEmbd: 48)
        try model.quantize(to: .bf16)
        let file = try SafeTensorsFile.read(bytes: ModelCheckpoint(model: model).bytes())
        var metadata = file.metadata
        metadata["weight_format"] = "q8"
        let tensors = file.tensors.map { tensor -> SafeTensor in
            var tensor = tensor
            if tensor.dtype == .bf16 { tensor.dtype = .i8; tensor.data = tensor.data.map { _ in 1 } }
            return tensor
        }
        try assertLoadFails(tensors, metadata, "the Q8 block size 32 does not divide the input dimension 48")
    }

    /// A narrowed model keeps no training state: saving one with it is refused.
    func testNarrowedModelSavesNoTrainingState() throws {
        let model = try gpt()
        let state = try Trainer(module: model, config: TrainingConfig(steps: 1, batchSize: 1)).trainingState()
        try model.quantize(to: .bf16)
        XCTAssertThrowsError(try ModelCheckpoint(model: model, training: state).bytes()) {
            XCTAssertTrue("\($0)".contains("has no training state to save"), "\($0)")
        }
    }

    /// The writer stores each dtype exactly and refuses values the dtype cannot hold.
    func testWriterStoresEveryDType() throws {
        let tensors = [SafeTensor(name: "b", dtype: .bf16, shape: [3], data: [1, -0.5, .infinity]),
                       SafeTensor(name: "h", dtype: .f16, shape: [2], data: [0.25, -3]),
                       SafeTensor(name: "i", dtype: .i8, shape: [3], data: [-128, 0, 127])]
        let bytes = try SafeTensorsFile.write(tensors: tensors)
        XCTAssertEqual(try SafeTensorsFile.read(bytes: bytes).tensors, tensors)
        for (dtype, value) in [(SafeTensorDType.bf16, Float(1.001)), (.f16, 1e-9), (.i8, 0.5), (.i8, 128), (.i8, .nan)] {
            XCTAssertThrowsError(try SafeTensorsFile.write(tensors: [SafeTensor(name: "x", dtype: dtype, shape: [1], data: [value])])) {
                XCTAssertTrue("\($0)".contains("not exactly representable as \(dtype.rawValue)"), "\($0)")
            }
        }
    }
}
