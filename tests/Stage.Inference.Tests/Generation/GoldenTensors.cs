using System.Buffers.Binary;
using System.Text.Json;

namespace Stage.Inference.Tests.Generation;

/// <summary>Reads tensors of the fixture's golden.safetensors (F32 and I64 only) for the generation tests.</summary>
public sealed class GoldenTensors
{
    public static readonly string FixtureFolder = RepositoryRoot.TinyFixture;

    static GoldenTensors? s_shared;
    public static GoldenTensors Shared => s_shared ??= new GoldenTensors(Path.Combine(FixtureFolder, "golden.safetensors"));

    readonly byte[] _file;
    readonly int _dataStart;
    readonly Dictionary<string, (string Dtype, int[] Shape, int Begin, int End)> _entries = new();

    public GoldenTensors(string path)
    {
        _file = File.ReadAllBytes(path);
        int headerLength = checked((int)BinaryPrimitives.ReadUInt64LittleEndian(_file));
        _dataStart = 8 + headerLength;
        using var header = JsonDocument.Parse(_file.AsMemory(8, headerLength));
        foreach (var p in header.RootElement.EnumerateObject())
        {
            if (p.Name == "__metadata__") continue;
            var shape = p.Value.GetProperty("shape").EnumerateArray().Select(e => e.GetInt32()).ToArray();
            var offsets = p.Value.GetProperty("data_offsets");
            _entries[p.Name] = (p.Value.GetProperty("dtype").GetString()!, shape, offsets[0].GetInt32(), offsets[1].GetInt32());
        }
    }

    public int[] Shape(string name) => _entries[name].Shape;

    public float[] Floats(string name)
    {
        var e = _entries[name];
        Assert.Equal("F32", e.Dtype);
        var bytes = _file.AsSpan(_dataStart + e.Begin, e.End - e.Begin);
        var values = new float[bytes.Length / 4];
        for (int i = 0; i < values.Length; i++) values[i] = BinaryPrimitives.ReadSingleLittleEndian(bytes[(4 * i)..]);
        return values;
    }

    public long[] Longs(string name)
    {
        var e = _entries[name];
        Assert.Equal("I64", e.Dtype);
        var bytes = _file.AsSpan(_dataStart + e.Begin, e.End - e.Begin);
        var values = new long[bytes.Length / 8];
        for (int i = 0; i < values.Length; i++) values[i] = BinaryPrimitives.ReadInt64LittleEndian(bytes[(8 * i)..]);
        return values;
    }

    /// <summary>A [1, 4, F] code tensor as the [4][F] jagged layout the generation API uses.</summary>
    public int[][] Codes(string name)
    {
        var shape = Shape(name);
        int frames = shape[^1], codebooks = shape[^2];
        var flat = Longs(name);
        var codes = new int[codebooks][];
        for (int q = 0; q < codebooks; q++)
        {
            codes[q] = new int[frames];
            for (int t = 0; t < frames; t++) codes[q][t] = checked((int)flat[q * frames + t]);
        }
        return codes;
    }
}
