import AttentionEngine
import XCTest

/// BERT encoders with BF16 / Q8 layer matrices: the batched product against a Double reference,
/// embeddings close to FP32 (all-MiniLM-L6-v2 within the cosines), folders written and
/// loaded back bitwise, and the errors.
final class QuantizedEncoderTests: XCTestCase {
    /// QuantizedMatrix.product (the packed GEMM widening W) against Double sums of the same
    /// widened weights, for shapes with partial panels and depth blocks, on several thread counts.
    func testProductMatchesTheDoubleReference() throws {
        var random = TestRandom(seed: 4)
        for format in WeightFormat.allCases {
            for (m, n, k) in [(2, 5, 32), (17, 48, 64), (70, 384, 96), (33, 3, 512)] {
                let matrix = try QuantizedMatrix(quantizing: Tensor(shape: [n, k], values: random.floats(n * k, -1, 1)),
                                                 as: format)
                let a = random.floats(m * k, -1, 1), bias = random.floats(n, -1, 1)
                let reference = matrix.linearNaive(a, inputRows: m, bias: bias)
                var results: [[Float]] = []
                for threads in [1, 2, 3] {
                    let saved = Parallel.threadCount
                    Parallel.threadCount = threads
                    defer { Parallel.threadCount = saved }
                    var c = [Float](repeating: .nan, count: m * (n + 1))  // ldc = n + 1: the spare column stays
                    a.withUnsafeBufferPointer { a in
                        bias.withUnsafeBufferPointer { bias in
                            matrix.product(m: m, a: a.baseAddress!, lda: k, c: &c, ldc: n + 1, bias: bias.baseAddress!)
                        }
                    }
                    results.append(c)
                }
                XCTAssertTrue(results.allSatisfy { $0.elementsEqual(results[0]) { $0.bitPattern == $1.bitPattern } },
                              "\(format) \(m)×\(n)×\(k): depends on the thread count")
                for i in 0..<m {
                    XCTAssertTrue(results[0][i * (n + 1) + n].isNaN, "column past OUT written")
                    for j in 0..<n {
                        XCTAssertEqual(results[0][i * (n + 1) + j], reference[i * n + j], accuracy: Float(k) * 2e-6,
                                       "\(format) \(m)×\(n)×\(k) [\(i),\(j)]")
                    }
                }
            }
        }
    }

    /// all-MiniLM-L6-v2: embeddings within the cosines of FP32, bitwise independent of
    /// the batch, and the same after `writeFolder` and loading.
    func testMiniLMKeepsItsEmbeddings() throws {
        let folder = try miniLMFolder()
        let encoder = try SentenceEncoder(folder: folder)
        let texts = ["A man is eating food.", "A man is eating a piece of bread.", "The girl is carrying a baby.",
                     "A man is riding a horse.", "Two men pushed carts through the woods.", "你吃了吗？", ""]
        let reference = try encoder.embed(texts)
        let D = encoder.dimension
        for (format, bound) in [(WeightFormat.bf16, 0.9999), (.q8, 0.999)] {
            let narrowed = try encoder.quantized(to: format)
            XCTAssertEqual(narrowed.weightFormat, format)
            XCTAssertNil(encoder.weightFormat)
            XCTAssertEqual(narrowed.parameterCount, encoder.parameterCount)
            let vectors = try narrowed.embed(texts)
            for i in texts.indices {
                var cosine = 0.0
                for j in i * D..<(i + 1) * D { cosine += Double(vectors[j]) * Double(reference[j]) }
                print("encoder \(format): cosine to FP32 of text \(i): \(cosine)")
                XCTAssertGreaterThanOrEqual(cosine, bound, "\(format) text \(i)")
                XCTAssertLessThan(cosine, 1.0 - 1e-9, "\(format) text \(i): the weights really are narrowed")
            }
            let one = try narrowed.embed([texts[1]])
            XCTAssertEqual(Array(vectors[D..<2 * D]), one, "\(format): an embedding depends on its batch")

            let directory = try makeTemporaryDirectory()
            defer { removeFolder(directory) }
            try narrowed.writeFolder(configurationFrom: folder, to: directory + "/copy")
            let loaded = try SentenceEncoder(folder: directory + "/copy")
            XCTAssertEqual(loaded.weightFormat, format)
            XCTAssertEqual(try loaded.embed(texts), vectors, "\(format): the written folder embeds differently")
            XCTAssertThrowsError(try narrowed.writeFolder(configurationFrom: folder, to: directory + "/copy")) {
                XCTAssertTrue("\($0)".contains("already exists"), "\($0)")
            }
            XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: directory), ["copy"], "temporary folders left")
            XCTAssertThrowsError(try narrowed.quantized(to: .q8)) { XCTAssertTrue("\($0)".contains("already holds")) }
        }
    }

    /// A folder whose Q8 scales are missing or hold NaN, and a Q8 encoder whose width 32 does
    /// not divide: clear errors naming the tensor.
    func testHostileNarrowedFolders() throws {
        let odd = try BertTestFolder(hidden: 40, heads: 4).load()
        XCTAssertThrowsError(try odd.quantized(to: .q8)) {
            XCTAssertTrue("\($0)".contains("embeddings.word_embeddings.weight: "), "\($0)")
            XCTAssertTrue("\($0)".contains("does not divide the input dimension 40"), "\($0)")
        }
        XCTAssertEqual(try odd.quantized(to: .bf16).weightFormat, .bf16)

        let test = BertTestFolder(feedForward: 64)
        let directory = try makeTemporaryDirectory()
        defer { removeFolder(directory) }
        try test.write(to: directory + "/fp32")
        try SentenceEncoder(folder: directory + "/fp32").quantized(to: .q8)
            .writeFolder(configurationFrom: directory + "/fp32", to: directory + "/q8")
        let path = directory + "/q8/model.safetensors"
        let file = try SafeTensorsFile.read(path: path)
        let scales = "encoder.layer.1.output.dense.weight.scales"
        for (change, expected) in [
            ({ (tensors: inout [SafeTensor]) in tensors.removeAll { $0.name == scales } }, "missing tensor '\(scales)'"),
            ({ (tensors: inout [SafeTensor]) in
                if let i = tensors.firstIndex(where: { $0.name == scales }) { tensors[i].data[0] = .nan } }, "scale 0 is nan"),
        ] {
            var tensors = file.tensors
            change(&tensors)
            try SafeTensorsFile.write(tensors: tensors, metadata: file.metadata, to: path)
            XCTAssertThrowsError(try SentenceEncoder(folder: directory + "/q8")) {
                XCTAssertTrue("\($0)".contains(expected), "\($0) lacks \(expected)")
            }
        }
    }
}
