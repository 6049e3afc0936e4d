using System.Text;
using System.Text.Json;

namespace Stage.Inference.Tests.Checkpoints;

/// <summary>Writes small safetensors files for tests (raw bytes per tensor, optional metadata).</summary>
sealed class SafetensorsBuilder
{
    readonly List<(string Name, string DType, int[] Shape, byte[] Data)> _tensors = [];
    readonly Dictionary<string, string> _metadata = [];

    public SafetensorsBuilder Add(string name, int[] shape, float[] values)
    {
        var bytes = new byte[values.Length * 4];
        Buffer.BlockCopy(values, 0, bytes, 0, bytes.Length);
        _tensors.Add((name, "F32", shape, bytes));
        return this;
    }

    public SafetensorsBuilder AddRaw(string name, string dtype, int[] shape, byte[] data)
    {
        _tensors.Add((name, dtype, shape, data));
        return this;
    }

    public SafetensorsBuilder Alias(string alias, string target)
    {
        _metadata[alias] = target;
        return this;
    }

    public byte[] Build()
    {
        var header = new Dictionary<string, object>();
        if (_metadata.Count > 0) header["__metadata__"] = _metadata;
        long offset = 0;
        foreach (var t in _tensors)
        {
            header[t.Name] = new { dtype = t.DType, shape = t.Shape, data_offsets = new[] { offset, offset + t.Data.Length } };
            offset += t.Data.Length;
        }
        var json = Encoding.UTF8.GetBytes(JsonSerializer.Serialize(header));
        using var ms = new MemoryStream();
        ms.Write(BitConverter.GetBytes((ulong)json.Length));
        ms.Write(json);
        foreach (var t in _tensors) ms.Write(t.Data);
        return ms.ToArray();
    }

    public string WriteTo(string path)
    {
        File.WriteAllBytes(path, Build());
        return path;
    }
}

/// <summary>A temporary directory removed after the test.</summary>
sealed class TempDir : IDisposable
{
    public TempDir()
    {
        Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "stage-inference-tests-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Path);
    }

    public string Path { get; }
    public string File(string name) => System.IO.Path.Combine(Path, name);
    public void Dispose() { try { Directory.Delete(Path, true); } catch (IOException) { } }
}
