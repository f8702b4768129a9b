// The memory layout of BF16 / Q8 weights for the decoding kernels (QuantizedDotRows.swift).
//
// A matrix-vector product computes four rows per pass. Stored row-major, those are four streams
// a few cache lines long (768 Q8 weights are 12 lines), which the hardware prefetcher follows
// badly. In the row-quad layout the rows come in groups of four ("quads", the last one padded
// with zero rows) and, inside a quad, chunks of `chunk` columns are interleaved row by row:
//
//     quad q, columns c·L ..< c·L + L (L = chunk):   row 4q | row 4q+1 | row 4q+2 | row 4q+3
//
// then the columns past the last full chunk (columns mod L), row after row. A pass over a quad
// reads one contiguous stream of 4·columns values.

/// Columns per interleaved chunk of BF16 and Q8 weights: a Q8 block, two cache lines of BF16.
public let quantizedChunk = 32

/// Rows per group of the row-quad layout: the rows a kernel pass computes.
public let quantizedQuadRows = 4

/// Where value (row, column) of a (rows, columns) matrix lies in its row-quad layout.
package struct RowQuadLayout {
    package let rows: Int
    package let columns: Int
    /// Columns per interleaved chunk (32 for the weights, 1 for the Q8 scales).
    package let chunk: Int

    @inlinable
    package init(rows: Int, columns: Int, chunk: Int) {
        self.rows = rows
        self.columns = columns
        self.chunk = chunk
    }

    /// Groups of four rows (the last one padded).
    @inlinable
    package var quads: Int { (rows + quantizedQuadRows - 1) / quantizedQuadRows }

    /// Values in the layout, padding rows included.
    @inlinable
    package var count: Int { quads * quantizedQuadRows * columns }

    /// Columns in full chunks; the rest of each row is stored after them, row by row.
    @inlinable
    package var chunkedColumns: Int { columns - columns % chunk }

    @inlinable @inline(__always)
    package func index(row: Int, column: Int) -> Int {
        let quad = row / quantizedQuadRows, r = row % quantizedQuadRows
        let base = quad * quantizedQuadRows * columns
        let full = chunkedColumns
        if column < full {
            return base + (column / chunk) * quantizedQuadRows * chunk + r * chunk + column % chunk
        }
        return base + quantizedQuadRows * full + r * (columns - full) + (column - full)
    }

    /// `values` (rows, columns) row-major → this layout (zero padding rows).
    package func packed<T: Numeric>(_ values: [T]) -> [T] {
        var out = [T](repeating: 0, count: count)
        values.withUnsafeBufferPointer { source in
            out.withUnsafeMutableBufferPointer { target in
                forEachRun { rowMajor, layout, length in
                    for t in 0..<length { target[layout + t] = source[rowMajor + t] }
                }
            }
        }
        return out
    }

    /// This layout → (rows, columns) row-major (padding rows dropped).
    package func unpacked<T: Numeric>(_ values: [T]) -> [T] {
        guard !values.isEmpty else { return [] }
        var out = [T](repeating: 0, count: rows * columns)
        values.withUnsafeBufferPointer { source in
            out.withUnsafeMutableBufferPointer { target in
                forEachRun { rowMajor, layout, length in
                    for t in 0..<length { target[rowMajor + t] = source[layout + t] }
                }
            }
        }
        return out
    }

    /// Calls `body(rowMajorIndex, layoutIndex, length)` for every run of values contiguous in
    /// both orders (a chunk of a row, or a row's tail).
    private func forEachRun(_ body: (Int, Int, Int) -> Void) {
        let full = chunkedColumns
        for row in 0..<rows {
            let base = (row / quantizedQuadRows) * quantizedQuadRows * columns, r = row % quantizedQuadRows
            for start in stride(from: 0, to: full, by: chunk) {
                body(row * columns + start, base + start * quantizedQuadRows + r * chunk, chunk)
            }
            if columns > full {
                body(row * columns + full, base + quantizedQuadRows * full + r * (columns - full), columns - full)
            }
        }
    }
}
