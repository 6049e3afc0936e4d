using System.Text;
using System.Text.Json;

namespace Stage.Benchmarks;

/// <summary>
/// A safetensors file of float32 tensors with random values, uniform in ±scale (PyTorch's default init uses ±1/√fan_in):
/// full-size STAGE parts for the benchmarks, whose real weights cannot be downloaded here.
/// </summary>
sealed class RandomCheckpoint
{
    readonly List<(string Name, int[] Shape, float Scale, float Offset)> _tensors = [];

    /// <summary>A tensor of values uniform in offset ± scale (norm weights: offset 1, scale 0).</summary>
    public void Add(string name, int[] shape, float scale, float offset = 0f) => _tensors.Add((name, shape, scale, offset));

    public long Bytes => _tensors.Sum(t => 4L * t.Shape.Aggregate(1L, (a, b) => a * b));

    public void Write(string path, int seed = 7)
    {
        var header = new Dictionary<string, object>();
        long offset = 0;
        foreach (var t in _tensors)
        {
            long bytes = 4L * t.Shape.Aggregate(1L, (a, b) => a * b);
            header[t.Name] = new { dtype = "F32", shape = t.Shape, data_offsets = new[] { offset, offset + bytes } };
            offset += bytes;
        }
        var json = Encoding.UTF8.GetBytes(JsonSerializer.Serialize(header));
        using var stream = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 20);
        stream.Write(BitConverter.GetBytes((ulong)json.Length));
        stream.Write(json);
        var random = new Random(seed);
        var values = new float[1 << 20];
        foreach (var t in _tensors)
        {
            long remaining = t.Shape.Aggregate(1L, (a, b) => a * b);
            while (remaining > 0)
            {
                int n = (int)Math.Min(values.Length, remaining);
                for (int k = 0; k < n; k++) values[k] = t.Offset + (float)(random.NextDouble() * 2 - 1) * t.Scale;
                stream.Write(System.Runtime.InteropServices.MemoryMarshal.AsBytes(values.AsSpan(0, n)));
                remaining -= n;
            }
        }
    }
}
