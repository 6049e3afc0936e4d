using System.Buffers;
using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace Stage.Inference.Checkpoints;

/// <summary>
/// A token embedding <c>[rows, dim]</c>: either float32 rows in memory (weights made, not loaded) or rows left in
/// their checkpoint and read on lookup. A lookup touches a few rows of a large table — a prompt's twenty of T5's
/// 32128, a step's four of each LM codebook's 2050 — so a loaded table is read from the file (the page cache serves it
/// after the first read) rather than kept: 49 MB of T5 and 34 MB of LM at bf16 that the engine's working set no
/// longer carries, and rows exactly as stored at every precision.
/// <para>
/// Rows are read with positional reads through the table's own handle, not a mapping: a checkpoint truncated or
/// replaced in place while the engine runs gives a <see cref="CheckpointException"/> on the next lookup, never a fault.
/// Thread-safe.
/// </para>
/// </summary>
public sealed class EmbeddingTable : IDisposable
{
    readonly float[]? _memory;
    readonly SafeFileHandle? _file;
    readonly string _source;       // file path and tensor name, for errors
    readonly long _offset;         // of row 0 in the file
    readonly SafetensorsFile.StoredType _stored;

    EmbeddingTable(int rows, int dim, float[]? memory, SafeFileHandle? file, string source, long offset, SafetensorsFile.StoredType stored)
    {
        Rows = rows;
        Dim = dim;
        _memory = memory;
        _file = file;
        _source = source;
        _offset = offset;
        _stored = stored;
    }

    public int Rows { get; }
    public int Dim { get; }

    /// <summary>Whether lookups read the checkpoint (rather than rows in memory).</summary>
    public bool IsInFile => _file is not null;

    /// <summary>A table of float32 rows in memory, <c>[rows, dim]</c> row-major.</summary>
    public static EmbeddingTable InMemory(float[] values, int rows, int dim)
    {
        ArgumentNullException.ThrowIfNull(values);
        if (rows < 1 || dim < 1 || values.Length != (long)rows * dim)
            throw new ArgumentException($"an embedding of {rows} rows of {dim} needs {(long)rows * dim} floats, got {values.Length}", nameof(values));
        return new EmbeddingTable(rows, dim, values, null, "embedding in memory", 0, SafetensorsFile.StoredType.Float32);
    }

    /// <summary>
    /// The table stored as <paramref name="name"/> in <paramref name="file"/>, checked to be <c>[rows, dim]</c> of F32, F16
    /// or BF16; it keeps a handle of its own on the file, so <paramref name="file"/> may be closed after.
    /// </summary>
    public static EmbeddingTable InFile(SafetensorsFile file, string name, int rows, int dim)
    {
        var entry = file.Entry(name);
        if (entry.Shape.Length != 2 || entry.Shape[0] != rows || entry.Shape[1] != dim)
            throw new CheckpointException($"{file.Path}: tensor '{name}' has shape {entry.ShapeText}, expected [{rows}, {dim}]");
        var stored = file.StoredTypeOf(entry);
        var handle = File.OpenHandle(file.Path, FileMode.Open, FileAccess.Read, FileShare.Read | FileShare.Delete, FileOptions.RandomAccess);
        return new EmbeddingTable(rows, dim, null, handle, $"{file.Path}: tensor '{name}'", file.FileOffset(entry), stored);
    }

    /// <summary><paramref name="destination"/> = row <paramref name="row"/> as float32 (<see cref="Dim"/> floats).</summary>
    public void CopyRow(int row, Span<float> destination)
    {
        if ((uint)row >= (uint)Rows) throw new ArgumentOutOfRangeException(nameof(row), row, $"outside the table's {Rows} rows");
        destination = destination[..Dim];
        if (_memory is not null)
        {
            _memory.AsSpan(row * Dim, Dim).CopyTo(destination);
            return;
        }
        int size = SafetensorsFile.ElementSize(_stored);
        long at = _offset + (long)row * Dim * size;
        if (_stored == SafetensorsFile.StoredType.Float32)
        {
            ReadExactly(MemoryMarshal.AsBytes(destination), at);
            return;
        }
        int bytes = Dim * size;
        byte[]? rented = bytes > 4096 ? ArrayPool<byte>.Shared.Rent(bytes) : null;
        Span<byte> raw = rented is null ? stackalloc byte[4096] : rented;
        try
        {
            raw = raw[..bytes];
            ReadExactly(raw, at);
            SafetensorsFile.ToFloat32(_stored, raw, destination);
        }
        finally
        {
            if (rented is not null) ArrayPool<byte>.Shared.Return(rented);
        }
    }

    /// <summary>y[i] = table[ids[i]].</summary>
    public void Lookup(ReadOnlySpan<int> ids, Span<float> y)
    {
        if (y.Length < ids.Length * Dim) throw new ArgumentException("y is shorter than ids × dim", nameof(y));
        for (int i = 0; i < ids.Length; i++) CopyRow(ids[i], y.Slice(i * Dim, Dim));
    }

    /// <summary>y += table[row]; <paramref name="scratch"/> (<see cref="Dim"/> floats) holds a row read from the file.</summary>
    public void AddRow(int row, Span<float> y, Span<float> scratch)
    {
        if ((uint)row >= (uint)Rows) throw new ArgumentOutOfRangeException(nameof(row), row, $"outside the table's {Rows} rows");
        ReadOnlySpan<float> values;
        if (_memory is not null) values = _memory.AsSpan(row * Dim, Dim);
        else
        {
            CopyRow(row, scratch);
            values = scratch[..Dim];
        }
        System.Numerics.Tensors.TensorPrimitives.Add(y[..Dim], values, y[..Dim]);
    }

    /// <summary>Every row, <c>[Rows, Dim]</c> (a device backend uploads the whole table).</summary>
    public void CopyAll(Span<float> destination)
    {
        if (destination.Length < (long)Rows * Dim) throw new ArgumentException($"the table needs {(long)Rows * Dim} floats", nameof(destination));
        for (int r = 0; r < Rows; r++) CopyRow(r, destination.Slice(r * Dim, Dim));
    }

    void ReadExactly(Span<byte> buffer, long at)
    {
        int done = 0;
        while (done < buffer.Length)
        {
            int n;
            try { n = RandomAccess.Read(_file!, buffer[done..], at + done); }
            catch (Exception e) when (e is IOException or ObjectDisposedException or UnauthorizedAccessException)
            {
                throw new CheckpointException($"{_source} could not be read ({e.Message})", e);
            }
            if (n == 0)
                throw new CheckpointException($"{_source} ends early: byte {at + done} is past the end of the file, which changed after the model was loaded");
            done += n;
        }
    }

    public void Dispose() => _file?.Dispose();
}
