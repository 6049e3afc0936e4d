using System.IO.MemoryMappedFiles;
using System.Runtime.InteropServices;
using System.Text.Json;
using Stage.Inference.Tensors;

namespace Stage.Inference.Checkpoints;

/// <summary>
/// A memory-mapped safetensors file: 8-byte little-endian header length, a JSON header mapping names
/// to {dtype, shape, data_offsets}, then raw little-endian tensor data. Tensors are converted to
/// float32 one at a time straight from the mapping, so the file is never copied into managed memory
/// as a whole. Names dropped by safetensors' de-duplication of tied tensors are resolved through the
/// aliases in <c>__metadata__</c> (e.g. T5's shared.weight → encoder.embed_tokens.weight).
/// </summary>
public sealed unsafe class SafetensorsFile : IDisposable, Kernels.IWeightMapping
{
    readonly MemoryMappedFile? _map;
    readonly MemoryMappedViewAccessor? _view;
    readonly byte* _base;
    readonly long _length;
    readonly long _dataStart;
    readonly Dictionary<string, TensorEntry> _entries;
    readonly Dictionary<string, string> _metadata;

    SafetensorsFile(string path, MemoryMappedFile? map, MemoryMappedViewAccessor? view, byte* basePtr, long length, long dataStart,
        Dictionary<string, TensorEntry> entries, Dictionary<string, string> metadata)
    {
        Path = path;
        _map = map;
        _view = view;
        _base = basePtr;
        _length = length;
        _dataStart = dataStart;
        _entries = entries;
        _metadata = metadata;
    }

    /// <summary>safetensors itself refuses headers above 100 MB.</summary>
    public const int MaxHeaderBytes = 100_000_000;

    public string Path { get; }

    /// <summary>Tensor names stored in the file (aliases not included).</summary>
    public IReadOnlyCollection<string> Names => _entries.Keys;

    /// <summary>The header's <c>__metadata__</c> string map (empty when absent).</summary>
    public IReadOnlyDictionary<string, string> Metadata => _metadata;

    public static SafetensorsFile Open(string path)
    {
        var info = new FileInfo(path);
        if (!info.Exists) throw new CheckpointException($"{path}: file not found");
        long length = info.Length;
        if (length < 8) throw new CheckpointException($"{path}: truncated safetensors file ({length} bytes; the 8-byte header length is missing)");

        MemoryMappedFile map = MemoryMappedFile.CreateFromFile(path, FileMode.Open, null, 0, MemoryMappedFileAccess.Read);
        MemoryMappedViewAccessor? view = null;
        try
        {
            view = map.CreateViewAccessor(0, length, MemoryMappedFileAccess.Read);
            byte* p = null;
            view.SafeMemoryMappedViewHandle.AcquirePointer(ref p);
            p += view.PointerOffset;
            ulong headerLength = *(ulong*)p;
            if (!BitConverter.IsLittleEndian) headerLength = System.Buffers.Binary.BinaryPrimitives.ReverseEndianness(headerLength);
            if (headerLength > (ulong)(length - 8))
                throw new CheckpointException($"{path}: truncated safetensors file (header claims {headerLength} bytes, only {length - 8} follow)");
            if (headerLength > MaxHeaderBytes)
                throw new CheckpointException($"{path}: invalid safetensors header (claims {headerLength} bytes; at most {MaxHeaderBytes} are accepted)");
            var (entries, metadata) = ParseHeader(path, new ReadOnlySpan<byte>(p + 8, (int)headerLength));
            long dataStart = 8 + (long)headerLength;
            long dataLength = length - dataStart;
            foreach (var e in entries.Values)
            {
                if (e.End > dataLength)
                    throw new CheckpointException($"{path}: truncated safetensors file (tensor '{e.Name}' ends at byte {e.End} of the data section, which holds {dataLength})");
            }
            var file = new SafetensorsFile(path, map, view, p, length, dataStart, entries, metadata);
            return file;
        }
        catch
        {
            if (view is not null)
            {
                view.SafeMemoryMappedViewHandle.ReleasePointer();
                view.Dispose();
            }
            map.Dispose();
            throw;
        }
    }

    static (Dictionary<string, TensorEntry>, Dictionary<string, string>) ParseHeader(string path, ReadOnlySpan<byte> json)
    {
        var entries = new Dictionary<string, TensorEntry>(StringComparer.Ordinal);
        var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
        JsonDocument doc;
        try { doc = JsonDocument.Parse(json.ToArray()); }
        catch (JsonException e) { throw new CheckpointException($"{path}: invalid safetensors header JSON ({e.Message})", e); }
        using (doc)
        {
            if (doc.RootElement.ValueKind != JsonValueKind.Object)
                throw new CheckpointException($"{path}: invalid safetensors header JSON (expected an object, found {doc.RootElement.ValueKind})");
            foreach (var prop in doc.RootElement.EnumerateObject())
            {
                if (prop.Name == "__metadata__")
                {
                    if (prop.Value.ValueKind == JsonValueKind.Object)
                        foreach (var m in prop.Value.EnumerateObject())
                            if (m.Value.ValueKind == JsonValueKind.String) metadata[m.Name] = m.Value.GetString()!;
                    continue;
                }
                entries[prop.Name] = ParseEntry(path, prop.Name, prop.Value);
            }
        }
        return (entries, metadata);
    }

    static TensorEntry ParseEntry(string path, string name, JsonElement e)
    {
        try
        {
            string dtype = e.GetProperty("dtype").GetString() ?? throw new InvalidOperationException("dtype is null");
            var shape = e.GetProperty("shape").EnumerateArray().Select(d => d.GetInt32()).ToArray();
            var offsets = e.GetProperty("data_offsets").EnumerateArray().Select(d => d.GetInt64()).ToArray();
            if (offsets.Length != 2 || offsets[0] < 0 || offsets[1] < offsets[0]) throw new InvalidOperationException("data_offsets must be [begin, end]");
            if (shape.Any(d => d < 0)) throw new InvalidOperationException("negative dimension");
            var entry = new TensorEntry(name, dtype, shape, offsets[0], offsets[1]);
            int size = ElementSize(dtype);
            if (size > 0 && entry.ElementCount * size != entry.End - entry.Begin)
                throw new InvalidOperationException($"{entry.End - entry.Begin} bytes for {dtype} {entry.ShapeText}");
            return entry;
        }
        catch (Exception ex) when (ex is KeyNotFoundException or InvalidOperationException or FormatException)
        {
            throw new CheckpointException($"{path}: invalid safetensors header JSON (entry '{name}': {ex.Message})", ex);
        }
    }

    static int ElementSize(string dtype) => dtype switch
    {
        "F64" or "I64" or "U64" => 8,
        "F32" or "I32" or "U32" => 4,
        "F16" or "BF16" or "I16" or "U16" => 2,
        "I8" or "U8" or "BOOL" or "F8_E4M3" or "F8_E5M2" => 1,
        _ => 0,
    };

    /// <summary>True if the name is stored or is an alias of a stored tensor.</summary>
    public bool Contains(string name) => TryResolve(name, out _);

    /// <summary>The header entry of a tensor (resolving aliases); throws naming the tensor if absent.</summary>
    public TensorEntry Entry(string name)
    {
        if (TryResolve(name, out var entry)) return entry;
        throw new CheckpointException($"{Path}: missing tensor '{name}'");
    }

    bool TryResolve(string name, out TensorEntry entry)
    {
        if (_entries.TryGetValue(name, out entry!)) return true;
        if (_metadata.TryGetValue(name, out var target) && _entries.TryGetValue(target, out entry!)) return true;
        // safetensors records {dropped: kept}; tolerate the reverse direction as well.
        foreach (var (k, v) in _metadata)
            if (v == name && _entries.TryGetValue(k, out entry!)) return true;
        entry = null!;
        return false;
    }

    /// <summary>
    /// Reads a tensor as float32 (F32, F16 and BF16 are converted). <paramref name="expectedShape"/>
    /// (−1 = any size) is checked first; a mismatch names the tensor and both shapes.
    /// </summary>
    public float[] ReadFloat32(string name, params int[]? expectedShape)
    {
        var e = Entry(name);
        CheckShape(e, expectedShape);
        var result = new float[checked((int)e.ElementCount)];
        ReadFloat32(e, result);
        return result;
    }

    /// <summary>Reads a tensor into a <see cref="Tensor"/> of its stored shape.</summary>
    public Tensor ReadTensor(string name, params int[]? expectedShape)
    {
        var e = Entry(name);
        return new Tensor(ReadFloat32(name, expectedShape), e.Shape);
    }

    /// <summary>Converts the tensor into <paramref name="destination"/> (exactly ElementCount floats).</summary>
    public void ReadFloat32(TensorEntry e, Span<float> destination)
    {
        if (destination.Length != e.ElementCount)
            throw new ArgumentException($"destination holds {destination.Length} floats, tensor '{e.Name}' has {e.ElementCount}");
        var stored = StoredTypeOf(e);
        byte* src = _base + _dataStart + e.Begin;
        ToFloat32(stored, new ReadOnlySpan<byte>(src, checked((int)(e.End - e.Begin))), destination);
        DropPages(src, e.End - e.Begin);
    }

    /// <summary>The floating-point types a weight may be stored as.</summary>
    public enum StoredType { Float32, Float16, BFloat16 }

    /// <summary>How <paramref name="e"/> is stored; throws naming the tensor if not as F32, F16 or BF16.</summary>
    public StoredType StoredTypeOf(TensorEntry e) => e.DType switch
    {
        "F32" => StoredType.Float32,
        "F16" => StoredType.Float16,
        "BF16" => StoredType.BFloat16,
        _ => throw new CheckpointException($"{Path}: tensor '{e.Name}' has unsupported dtype {e.DType} (expected F32, F16 or BF16)"),
    };

    public static int ElementSize(StoredType stored) => stored == StoredType.Float32 ? 4 : 2;

    /// <summary>
    /// <paramref name="e"/>'s bytes in the mapping, valid while this file is open (converted weights are used where they
    /// lie; whoever keeps the pointer keeps this object).
    /// </summary>
    internal byte* DataPointer(TensorEntry e) => _base + _dataStart + e.Begin;

    /// <summary>Where <paramref name="e"/>'s first byte is in the file.</summary>
    public long FileOffset(TensorEntry e) => _dataStart + e.Begin;

    /// <summary>Little-endian stored values → float32 (<paramref name="destination"/>.Length of them).</summary>
    public static void ToFloat32(StoredType stored, ReadOnlySpan<byte> source, Span<float> destination)
    {
        int n = destination.Length;
        switch (stored)
        {
            case StoredType.Float32:
                MemoryMarshal.Cast<byte, float>(source)[..n].CopyTo(destination);
                break;
            case StoredType.Float16:
                System.Numerics.Tensors.TensorPrimitives.ConvertToSingle(MemoryMarshal.Cast<byte, Half>(source)[..n], destination);
                break;
            default:
                {
                    var s = MemoryMarshal.Cast<byte, ushort>(source)[..n];
                    for (int i = 0; i < n; i++) destination[i] = BitConverter.Int32BitsToSingle(s[i] << 16);
                    break;
                }
        }
    }

    /// <summary>
    /// A tensor copied out no longer needs its pages in the process: on Linux they are dropped from the read-only mapping
    /// (they stay in the page cache, and a second read faults them back in). Otherwise a load held every page of the
    /// checkpoint resident until the file was closed: 2.4 GB on top of the converted model.
    /// </summary>
    public void LeaveWorkingSet(void* start, long bytes)
    {
        if ((byte*)start < _base || bytes < 0 || (byte*)start + bytes > _base + _length)
            throw new ArgumentOutOfRangeException(nameof(start), $"not memory of {Path}'s mapping");
        DropPages((byte*)start, bytes);
    }

    static void DropPages(byte* start, long bytes)
    {
        if (!OperatingSystem.IsLinux()) return;
        long page = Environment.SystemPageSize;
        long from = ((long)start + page - 1) / page * page, to = ((long)start + bytes) / page * page;   // this tensor's whole pages
        if (to > from) _ = madvise((void*)from, (nuint)(to - from), MadviseDontNeed);
    }

    const int MadviseDontNeed = 4;

    [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "madvise")]
    static extern int madvise(void* address, nuint length, int advice);

    /// <summary>Reads an integer tensor (I64 or I32) as long[] — the goldens store codes and ids as I64.</summary>
    public long[] ReadInt64(string name, params int[]? expectedShape)
    {
        var e = Entry(name);
        CheckShape(e, expectedShape);
        byte* src = _base + _dataStart + e.Begin;
        int n = checked((int)e.ElementCount);
        var result = new long[n];
        switch (e.DType)
        {
            case "I64": new ReadOnlySpan<long>(src, n).CopyTo(result); break;
            case "I32": { var s = new ReadOnlySpan<int>(src, n); for (int i = 0; i < n; i++) result[i] = s[i]; break; }
            default: throw new CheckpointException($"{Path}: tensor '{e.Name}' has unsupported dtype {e.DType} (expected I64 or I32)");
        }
        return result;
    }

    void CheckShape(TensorEntry e, int[]? expected)
    {
        if (expected is null || expected.Length == 0) return;
        bool ok = expected.Length == e.Shape.Length;
        for (int i = 0; ok && i < expected.Length; i++) ok = expected[i] < 0 || expected[i] == e.Shape[i];
        if (!ok)
            throw new CheckpointException($"{Path}: tensor '{e.Name}' has shape {e.ShapeText}, expected {Tensor.ShapeText(expected)}");
    }

    public void Dispose()
    {
        if (_view is not null)
        {
            _view.SafeMemoryMappedViewHandle.ReleasePointer();
            _view.Dispose();
        }
        _map?.Dispose();
    }
}
