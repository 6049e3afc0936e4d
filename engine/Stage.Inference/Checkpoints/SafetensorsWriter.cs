using System.Text;
using System.Text.Json;

namespace Stage.Inference.Checkpoints;

/// <summary>
/// Writes a safetensors file from tensors already in memory (converted weights). The header is padded with spaces, as
/// the format allows, so the data starts on a 64-byte boundary; the file appears under its name only once complete
/// (written beside it, then renamed), so a reader never maps a half-written one.
/// </summary>
public sealed unsafe class SafetensorsWriter
{
    readonly List<(string Name, string DType, int[] Shape, IntPtr Data, long Bytes)> _tensors = [];
    readonly Dictionary<string, string> _metadata = new(StringComparer.Ordinal);

    /// <summary>Adds a tensor whose <paramref name="bytes"/> bytes at <paramref name="data"/> stay valid until <see cref="Write"/> returns.</summary>
    public void Add(string name, string dtype, int[] shape, void* data, long bytes) => _tensors.Add((name, dtype, shape, (IntPtr)data, bytes));

    public void Metadata(string key, string value) => _metadata[key] = value;

    public void Write(string path)
    {
        var header = new Dictionary<string, object>(StringComparer.Ordinal);
        if (_metadata.Count > 0) header["__metadata__"] = _metadata;
        long offset = 0;
        foreach (var t in _tensors)
        {
            header[t.Name] = new Entry(t.DType, t.Shape, [offset, offset + t.Bytes]);
            offset += t.Bytes;
        }
        var json = JsonSerializer.SerializeToUtf8Bytes(header, EntryJson.Default.DictionaryStringObject);
        int padded = (json.Length + 8 + 63) / 64 * 64 - 8;
        // one name, so a write cut short (a killed engine) is written over by the next rather than left behind; a second
        // writer at the same time is refused the file
        string temporary = $"{path}.partial";
        try
        {
            using (var stream = new FileStream(temporary, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 20))
            {
                Span<byte> length = stackalloc byte[8];
                System.Buffers.Binary.BinaryPrimitives.WriteUInt64LittleEndian(length, (ulong)padded);
                stream.Write(length);
                stream.Write(json);
                for (int i = json.Length; i < padded; i++) stream.WriteByte((byte)' ');
                foreach (var t in _tensors)
                    for (long done = 0; done < t.Bytes;)
                    {
                        int n = (int)Math.Min(1 << 30, t.Bytes - done);
                        stream.Write(new ReadOnlySpan<byte>((byte*)t.Data + done, n));
                        done += n;
                    }
            }
            File.Move(temporary, path, overwrite: true);
        }
        catch
        {
            try { File.Delete(temporary); } catch (IOException) { } catch (UnauthorizedAccessException) { }
            throw;
        }
    }

    internal sealed record Entry(
        [property: System.Text.Json.Serialization.JsonPropertyName("dtype")] string DType,
        [property: System.Text.Json.Serialization.JsonPropertyName("shape")] int[] Shape,
        [property: System.Text.Json.Serialization.JsonPropertyName("data_offsets")] long[] DataOffsets);
}

[System.Text.Json.Serialization.JsonSerializable(typeof(Dictionary<string, object>))]
[System.Text.Json.Serialization.JsonSerializable(typeof(Dictionary<string, string>))]
[System.Text.Json.Serialization.JsonSerializable(typeof(SafetensorsWriter.Entry))]
internal sealed partial class EntryJson : System.Text.Json.Serialization.JsonSerializerContext;
