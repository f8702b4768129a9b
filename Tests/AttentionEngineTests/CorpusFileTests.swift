import AttentionEngine
import Foundation
import XCTest

/// CorpusFile streams a file into token ids: the result must equal the in-memory path
/// (CharTokenizer(corpus:), encode, paragraphStarts) for any chunk size, and bad files must give
/// clear errors.
final class CorpusFileTests: XCTestCase {
    private var folder: URL!

    override func setUpWithError() throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("corpus-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: folder)
    }

    private func write(_ bytes: [UInt8], _ name: String = "corpus.txt") throws -> String {
        let url = folder.appendingPathComponent(name)
        try Data(bytes).write(to: url)
        return url.path
    }

    /// The in-memory path on `text`: tokenizer, ids and paragraph starts.
    private func inMemory(_ text: String) throws -> (CharTokenizer, [Int32], [Int]) {
        let tokenizer = try CharTokenizer(corpus: text)
        return (tokenizer, tokenizer.encode(text), TextBatches.paragraphStarts(in: text))
    }

    private func assertSame(_ corpus: CorpusFile, _ text: String, file: StaticString = #filePath, line: UInt = #line) throws {
        let (tokenizer, tokens, starts) = try inMemory(text)
        XCTAssertEqual(corpus.tokenizer, tokenizer, file: file, line: line)
        XCTAssertEqual(corpus.tokens, tokens, file: file, line: line)
        XCTAssertEqual(corpus.documentStarts, starts, file: file, line: line)
        XCTAssertEqual(corpus.unknownScalars, [], file: file, line: line)
    }

    /// Every chunk size from 1 byte up cuts the 2-, 3- and 4-byte sequences at every position.
    func testEveryChunkSizeGivesTheInMemoryTokens() throws {
        let text = "床前明月光，\n疑是地上霜。\n\n举头望明月，\n低头思故乡。\n\n\nαβ é 😀 𠀀 end\n"
        let path = try write(Array(text.utf8))
        for chunkSize in 1...13 {
            try assertSame(try CorpusFile.load(path: path, chunkSize: chunkSize), text)
        }
    }

    /// A multi-megabyte file of many distinct CJK characters (a 7,477-id vocabulary) read in
    /// 1 MB chunks gives exactly the in-memory tokens.
    func testMultiMegabyteLargeVocabularyCorpusMatchesInMemory() throws {
        let text = syntheticCorpus(distinct: 7_472, characters: 1_200_000)
        XCTAssertGreaterThan(text.utf8.count, 3_000_000)
        let corpus = try CorpusFile.load(path: try write(Array(text.utf8)))
        XCTAssertEqual(corpus.tokenizer.vocabularySize, 7_477)
        try assertSame(corpus, text)
    }

    func testBOMIsDroppedAndCRLFBecomesLF() throws {
        let crlf = try CorpusFile.load(path: try write([0xEF, 0xBB, 0xBF] + Array("一二\r\n\r\n三\r四\r\n\r".utf8)), chunkSize: 1)
        try assertSame(crlf, "一二\n\n三\r四\n\r")
        // Only a leading BOM is dropped: one later on is a character (ZWNBSP).
        let later = try CorpusFile.load(path: try write(Array("a\u{FEFF}b".utf8)))
        try assertSame(later, "a\u{FEFF}b")
    }

    func testNULByteIsAnErrorWithItsOffset() throws {
        let path = try write(Array("一二".utf8) + [0] + Array("三".utf8))
        XCTAssertThrowsError(try CorpusFile.load(path: path)) { error in
            let error = error as! AttentionError
            XCTAssertEqual(error.kind, .format)
            XCTAssertTrue(error.message.contains("NUL byte at byte offset 6"), error.message)
            XCTAssertTrue(error.message.contains(path), error.message)
        }
    }

    func testEmptyFilesAreErrors() throws {
        for bytes in [[], [0xEF, 0xBB, 0xBF]] as [[UInt8]] {
            XCTAssertThrowsError(try CorpusFile.load(path: try write(bytes))) { error in
                XCTAssertEqual((error as! AttentionError).kind, .invalidArgument)
                XCTAssertTrue((error as! AttentionError).message.contains("empty"))
            }
        }
    }

    /// The same offsets as UTF8Validation, across chunk boundaries.
    func testInvalidUTF8NamesTheSameOffsetAsTheInMemoryCheck() throws {
        let cases: [[UInt8]] = [
            Array("一二".utf8) + [0xFF], Array("一二".utf8) + [0xE4, 0xB8],  // bad lead; truncated at the end
            Array("a".utf8) + [0xE4, 0x41, 0x42], [0xC0, 0x80],  // bad continuation; overlong
            [0xED, 0xA0, 0x80], [0xF4, 0x90, 0x80, 0x80], Array("ab".utf8) + [0xF0, 0x9F, 0x98],  // surrogate; > U+10FFFF; cut 4-byte
        ]
        for bytes in cases {
            let expected = UTF8Validation.firstInvalidOffset(bytes)!
            for chunkSize in [1, 2, 3, 1 << 20] {
                XCTAssertThrowsError(try CorpusFile.load(path: try write(bytes), chunkSize: chunkSize)) { error in
                    let error = error as! AttentionError
                    XCTAssertEqual(error.kind, .utf8)
                    XCTAssertTrue(error.message.contains("invalid UTF-8 at byte offset \(expected) "), "\(bytes): \(error.message)")
                }
            }
        }
    }

    func testSpecialFilesAreRefusedWithoutReading() throws {
        for path in [folder.path, "/dev/zero", "/dev/null"] {
            XCTAssertThrowsError(try CorpusFile.load(path: path)) { error in
                XCTAssertEqual((error as! AttentionError).kind, .io)
                XCTAssertTrue((error as! AttentionError).message.contains("not a regular file"), "\(error)")
            }
        }
        let fifo = folder.appendingPathComponent("fifo").path
        XCTAssertEqual(mkfifo(fifo, 0o600), 0)
        XCTAssertThrowsError(try CorpusFile.load(path: fifo))  // no writer: must not block
        XCTAssertThrowsError(try CorpusFile.load(path: folder.appendingPathComponent("missing").path)) { error in
            XCTAssertEqual((error as! AttentionError).kind, .io)
        }
        XCTAssertThrowsError(try CorpusFile.load(path: try write(Array("ab".utf8)), chunkSize: 0))
    }

    /// Resuming: the given vocabulary's ids, width variants folded, unknown characters listed once
    /// in order of appearance and encoded as UNK.
    func testGivenTokenizerEncodesAndListsUnknownCharacters() throws {
        let tokenizer = try CharTokenizer(corpus: "你吃了吗？")
        let text = "你吃了吗?喝了吗茶喝"
        let corpus = try CorpusFile.load(path: try write(Array(text.utf8)), tokenizer: tokenizer, chunkSize: 2)
        XCTAssertEqual(corpus.tokenizer, tokenizer)
        XCTAssertEqual(corpus.tokens, tokenizer.encode(text))
        XCTAssertEqual(corpus.unknownScalars, ["喝", "茶"])
        XCTAssertEqual(corpus.unknownScalars, tokenizer.unknownScalars(in: text))
    }

    /// One repeated character is a valid corpus (vocabulary of 5) that trains windows; fewer
    /// characters than the context length + 1 is TextBatches' clear error.
    func testOneRepeatedCharacterAndTooShortCorpora() throws {
        let repeated = try CorpusFile.load(path: try write(Array(String(repeating: "道", count: 500).utf8)))
        XCTAssertEqual(repeated.tokenizer.vocabularySize, 5)
        XCTAssertEqual(Set(repeated.tokens), [4])
        let data = try TextBatches(tokens: repeated.tokens, contextLength: 8)
        var rng = Random(seed: 1)
        XCTAssertEqual(Set(try data.batch(.train, size: 2, using: &rng).targets), [4])

        let short = try CorpusFile.load(path: try write(Array("道可道".utf8)))
        XCTAssertThrowsError(try TextBatches(tokens: short.tokens, contextLength: 8)) { error in
            XCTAssertTrue((error as! AttentionError).message.contains("too short for context length 8"), "\(error)")
        }
    }

    /// A file that shrinks while it is read is an `.io` error, not a crash or a short corpus.
    func testFileTruncatedWhileReadingIsAnError() throws {
        let text = String(repeating: "天地玄黄\n", count: 400_000)  // 5.2 MB: several chunks
        let path = try write(Array(text.utf8))
        var sawTruncation = false
        for attempt in 0..<50 where !sawTruncation {
            if attempt > 0 { try Data(text.utf8).write(to: URL(fileURLWithPath: path)) }
            let started = DispatchSemaphore(value: 0)
            let thread = Thread { started.signal(); usleep(200); _ = truncate(path, 1000) }
            thread.start()
            started.wait()
            do {
                let corpus = try CorpusFile.load(path: path, chunkSize: 4096)
                // Either the whole file was read before the cut or it was cut before the open
                // (1,000 bytes: 76 lines and 天地玄黄, 384 characters).
                XCTAssertTrue([text.unicodeScalars.count, 384].contains(corpus.tokens.count), "\(corpus.tokens.count)")
            } catch let error as AttentionError {
                XCTAssertEqual(error.kind, .io, error.message)
                XCTAssertTrue(error.message.contains("file changed while reading"), error.message)
                sawTruncation = true
            }
            usleep(2000)
        }
    }

    /// Loads share nothing: four threads reading one file at once get identical results.
    func testConcurrentLoadsAgree() throws {
        let text = syntheticCorpus(distinct: 500, characters: 200_000)
        let path = try write(Array(text.utf8))
        let results = UnsafeMutableBufferPointer<[Int32]>.allocate(capacity: 4)
        results.initialize(repeating: [])
        defer { results.deallocate() }
        DispatchQueue.concurrentPerform(iterations: 4) { index in
            results[index] = (try? CorpusFile.load(path: path, chunkSize: 1000 + index * 333).tokens) ?? []
        }
        let expected = try inMemory(text).1
        for index in 0..<4 { XCTAssertEqual(results[index], expected, "thread \(index)") }
    }

    /// More characters than the limit is a clear error, not an allocation that aborts; a sparse
    /// file of a terabyte reserves no more than the limit and fails at its first (NUL) byte.
    func testCorpusLargerThanTheMemoryLimitIsAnError() throws {
        var decoder = CorpusDecoder(expectedBytes: 100, maximumTokens: 10)
        let bytes = Array(String(repeating: "道", count: 11).utf8)
        XCTAssertThrowsError(try bytes.withUnsafeBytes { try decoder.consume($0) }) { error in
            XCTAssertEqual((error as! AttentionError).kind, .outOfMemory)
            XCTAssertTrue((error as! AttentionError).message.contains("more than 10 characters"), "\(error)")
        }
        var exact = CorpusDecoder(maximumTokens: 10)
        try Array(String(repeating: "道", count: 10).utf8).withUnsafeBytes { try exact.consume($0) }
        XCTAssertEqual(try exact.finish().tokens.count, 10)

        let sparse = folder.appendingPathComponent("sparse.txt").path
        XCTAssertTrue(FileManager.default.createFile(atPath: sparse, contents: nil))
        XCTAssertEqual(truncate(sparse, 1 << 40), 0)
        XCTAssertThrowsError(try CorpusFile.load(path: sparse)) { error in
            XCTAssertTrue((error as! AttentionError).message.contains("NUL byte at byte offset 0"), "\(error)")
        }
    }

    /// `distinct` CJK characters (from U+4E00) in a repeating, shuffled order, with a line break
    /// every 7 characters and a blank line every 8 lines.
    private func syntheticCorpus(distinct: Int, characters: Int) -> String {
        var rng = Random(seed: 7)
        var scalars = String.UnicodeScalarView()
        var line = 0
        for i in 0..<characters {
            let index = i < distinct ? i : rng.nextInt(below: distinct)
            scalars.append(Unicode.Scalar(0x4E00 + UInt32(index))!)
            if i % 7 == 6 {
                scalars.append("\n")
                line += 1
                if line % 8 == 0 { scalars.append("\n") }
            }
        }
        return String(scalars)
    }
}
