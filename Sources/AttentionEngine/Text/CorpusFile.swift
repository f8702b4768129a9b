#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A training corpus read from a UTF-8 file in chunks: only the token ids (4 bytes a character)
/// stay in memory, never the text: `attn train` on 1 GB of text peaked at 1.61 GB, 1.42 GB of
/// it the token array (docs/corpora.md).
///
/// The bytes are validated as strict UTF-8 across chunk boundaries (`UTF8Validation`'s rules and
/// error format, offsets counted in the file), and the text is normalised on the way:
/// - a byte order mark (U+FEFF) at the very start is dropped;
/// - each CR LF pair becomes LF (a lone CR stays a character);
/// - a NUL byte is an error naming its offset: such a file is binary, not text.
/// An empty file (or one holding only a BOM) is an error, and so is one with more characters
/// than `CorpusDecoder.defaultMaximumTokens` (token ids filling half the physical memory): the
/// allocation would otherwise abort the process. With no `tokenizer`, the vocabulary is
/// built from the text's distinct scalars exactly as `CharTokenizer(corpus:)` builds it from
/// the normalised text; with one (resuming a model), characters outside its vocabulary are
/// listed in `unknownScalars` and encode to UNK.
///
///     let corpus = try CorpusFile.load(path: "data/tang-poems.txt")
///     let data = try TextBatches(tokens: corpus.tokens, contextLength: 64,
///                                documentStarts: corpus.documentStarts)
public struct CorpusFile: Sendable {
    /// The vocabulary: built from the file, or the one given.
    public let tokenizer: CharTokenizer
    /// (N,) one id per character of the normalised text.
    public let tokens: [Int32]
    /// Token offsets of the paragraphs after the first (`TextBatches.paragraphStarts(in:)`).
    public let documentStarts: [Int]
    /// Characters not in a given tokenizer's vocabulary (nor as their width variant), in order
    /// of first appearance; empty when the vocabulary was built from the file.
    public let unknownScalars: [Unicode.Scalar]

    /// Bytes read per system call.
    public static let defaultChunkSize = 1 << 20

    /// Reads the regular file `path` (a directory, FIFO or device such as /dev/zero is refused
    /// before anything is read) in chunks of `chunkSize` bytes. A file that grows while it is
    /// read is taken at the size it had when opened; one that shrinks is an `.io` error.
    public static func load(path: String, tokenizer: CharTokenizer? = nil,
                            chunkSize: Int = defaultChunkSize) throws -> CorpusFile {
        guard chunkSize >= 1 else { throw AttentionError.invalid("corpus: chunk size \(chunkSize) must be >= 1") }
        let file = try FileDescriptor.openForReading(path)
        defer { _ = try? file.close() }
        let size = try file.regularFileSize()
        var decoder = CorpusDecoder(tokenizer: tokenizer, expectedBytes: size)
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: min(chunkSize, max(size, 1)), alignment: 16)
        defer { buffer.deallocate() }
        var offset = 0
        do {
            while offset < size {
                let chunk = UnsafeMutableRawBufferPointer(rebasing: buffer[0..<min(buffer.count, size - offset)])
                try file.read(into: chunk, at: offset)
                try decoder.consume(UnsafeRawBufferPointer(chunk))
                offset += chunk.count
            }
            return try decoder.finish()
        } catch let error as AttentionError {
            // Read errors name the path already; decoding errors get it.
            throw error.message.contains(path) ? error : AttentionError(error.kind, "\(path): \(error.message)")
        }
    }
}

/// The incremental part of `CorpusFile`: takes the bytes in pieces of any size and keeps only the
/// token ids, the vocabulary and at most three bytes of an unfinished UTF-8 sequence.
public struct CorpusDecoder {
    /// The most characters a corpus may have: its ids (4 bytes each) take half the machine's
    /// physical memory.
    public static var defaultMaximumTokens: Int {
        let bytes = Int(sysconf(Int32(_SC_PHYS_PAGES))) &* Int(sysconf(Int32(_SC_PAGESIZE)))
        return max(1, bytes / 2 / MemoryLayout<Int32>.size)
    }

    private let given: CharTokenizer?
    private let maximumTokens: Int
    /// Scalar value → id: the provisional id (order of first appearance) when building the
    /// vocabulary, the tokenizer's id when one is given; `unseen` until first met, `unknown` for
    /// a scalar the given tokenizer lacks. Covers all of Unicode (0x110000 entries, 4.4 MB) so the
    /// lookup per character is one load.
    private var ids: [Int32]
    private static let unseen: Int32 = -1, unknown: Int32 = -2
    /// Distinct scalars in order of first appearance (the provisional ids), when building.
    private var distinct: [Unicode.Scalar] = []
    private var unknownScalars: [Unicode.Scalar] = []
    private var tokens: [Int32] = []  // (N,)
    private var documentStarts: [Int] = []

    // UTF-8 state: the scalar being assembled, the continuation bytes still needed, the allowed
    // range of the next one, and the file offset of its lead byte.
    private var scalar: UInt32 = 0
    private var needed = 0
    private var nextLow: UInt8 = 0x80, nextHigh: UInt8 = 0xBF
    private var sequenceStart = 0
    /// The bytes of the current sequence so far, first byte highest (at most 4), for messages;
    /// kept in an integer so that no character costs an allocation.
    private var sequenceBytes: UInt32 = 0
    private var sequenceCount = 0
    private var offset = 0  // bytes consumed so far

    // Normalisation and paragraph state.
    private var atStart = true  // no scalar decoded yet (a BOM is still droppable)
    private var pendingCarriageReturn = false
    private var lineIsBlank = false, afterBlankLine = false

    /// `expectedBytes` sizes the token array once (a character takes at least one byte), so it
    /// is never copied while growing; untouched pages of the reservation cost no memory. More
    /// than `maximumTokens` characters is an `.outOfMemory` error.
    public init(tokenizer: CharTokenizer? = nil, expectedBytes: Int = 0, maximumTokens: Int = defaultMaximumTokens) {
        given = tokenizer
        self.maximumTokens = max(1, maximumTokens)
        ids = [Int32](repeating: Self.unseen, count: 0x110000)
        tokens.reserveCapacity(min(max(0, expectedBytes), self.maximumTokens))
    }

    /// Decodes the next piece of the file.
    public mutating func consume(_ bytes: UnsafeRawBufferPointer) throws {
        for byte in bytes {
            if needed > 0 {
                sequenceBytes = sequenceBytes << 8 | UInt32(byte)
                sequenceCount += 1
                guard byte >= nextLow && byte <= nextHigh else { throw invalidSequence() }
                scalar = scalar << 6 | UInt32(byte & 0x3F)
                (nextLow, nextHigh) = (0x80, 0xBF)
                needed -= 1
                if needed == 0 { try emit(scalar) }
            } else if byte < 0x80 {
                guard byte != 0 else {
                    throw AttentionError(.format, "NUL byte at byte offset \(offset): a corpus must be text")
                }
                try emit(UInt32(byte))
            } else {
                sequenceStart = offset
                (sequenceBytes, sequenceCount) = (UInt32(byte), 1)
                (nextLow, nextHigh) = (0x80, 0xBF)
                switch byte {
                case 0xC2...0xDF: needed = 1; scalar = UInt32(byte & 0x1F)
                case 0xE0: needed = 2; scalar = 0; nextLow = 0xA0
                case 0xE1...0xEC, 0xEE...0xEF: needed = 2; scalar = UInt32(byte & 0x0F)
                case 0xED: needed = 2; scalar = 0xD; nextHigh = 0x9F
                case 0xF0: needed = 3; scalar = 0; nextLow = 0x90
                case 0xF1...0xF3: needed = 3; scalar = UInt32(byte & 0x07)
                case 0xF4: needed = 3; scalar = 4; nextHigh = 0x8F
                default: throw invalidSequence()
                }
            }
            offset += 1
        }
    }

    /// The corpus after the last piece. Throws for a truncated final sequence and for a corpus
    /// with no characters.
    public mutating func finish() throws -> CorpusFile {
        if needed > 0 { throw invalidSequence() }
        if pendingCarriageReturn {
            pendingCarriageReturn = false
            try append(0x0D)
        }
        guard !tokens.isEmpty else { throw AttentionError.invalid("the corpus is empty") }
        let tokenizer: CharTokenizer
        if let given {
            tokenizer = given
        } else {
            // Provisional ids (first appearance) → final ids (code-point order after the specials).
            let order = distinct.indices.sorted { distinct[$0].value < distinct[$1].value }
            var final = [Int32](repeating: 0, count: distinct.count)
            for (rank, provisional) in order.enumerated() { final[provisional] = Int32(rank + CharTokenizer.specialCount) }
            final.withUnsafeBufferPointer { final in
                tokens.withUnsafeMutableBufferPointer { tokens in
                    for i in tokens.indices { tokens[i] = final[Int(tokens[i])] }
                }
            }
            tokenizer = try CharTokenizer(characters: order.map { distinct[$0] })
        }
        return CorpusFile(tokenizer: tokenizer, tokens: tokens, documentStarts: documentStarts,
                          unknownScalars: unknownScalars)
    }

    private func invalidSequence() -> AttentionError {
        let shown = (0..<sequenceCount).reversed()
            .map { String(sequenceBytes >> (8 * UInt32($0)) & 0xFF, radix: 16, uppercase: true) }.joined(separator: " ")
        return AttentionError(.utf8, "invalid UTF-8 at byte offset \(sequenceStart) (bytes \(shown))")
    }

    /// Applies the normalisation to one decoded scalar.
    private mutating func emit(_ value: UInt32) throws {
        defer { atStart = false }
        if atStart && value == 0xFEFF { return }
        if pendingCarriageReturn {
            pendingCarriageReturn = false
            if value != 0x0A { try append(0x0D) }
        }
        if value == 0x0D {
            pendingCarriageReturn = true
            return
        }
        try append(value)
    }

    /// Appends the token of `value` and follows paragraphs as `TextBatches.paragraphStarts` does.
    private mutating func append(_ value: UInt32) throws {
        guard tokens.count < maximumTokens else {
            throw AttentionError(.outOfMemory, "out of memory: the corpus has more than \(maximumTokens) characters, whose token ids would take more than half of this machine's memory")
        }
        switch value {
        case 0x0A:
            if lineIsBlank { afterBlankLine = true }
            lineIsBlank = true
        case 0x0D:
            break
        default:
            if afterBlankLine { documentStarts.append(tokens.count) }
            lineIsBlank = false
            afterBlankLine = false
        }
        var id = ids[Int(value)]
        if id == Self.unseen {
            let character = Unicode.Scalar(value)!  // validated above: no surrogates, ≤ 0x10FFFF
            if let given {
                id = given.id(of: character) ?? Self.unknown
                if id == Self.unknown { unknownScalars.append(character) }
            } else {
                id = Int32(distinct.count)
                distinct.append(character)
            }
            ids[Int(value)] = id
        }
        tokens.append(id == Self.unknown ? CharTokenizer.unk : id)
    }
}
