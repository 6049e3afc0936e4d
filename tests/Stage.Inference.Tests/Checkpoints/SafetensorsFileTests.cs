using System.Text;
using Stage.Inference.Checkpoints;

namespace Stage.Inference.Tests.Checkpoints;

public class SafetensorsFileTests
{
    [Fact]
    public void ReadsF32F16Bf16AndI64()
    {
        using var dir = new TempDir();
        var half = new byte[6];
        var halves = new[] { (Half)1.5f, (Half)(-2.25f), (Half)0.0009765625f };
        for (int i = 0; i < 3; i++) BitConverter.TryWriteBytes(half.AsSpan(i * 2), halves[i]);
        var bf = new byte[4];
        BitConverter.TryWriteBytes(bf.AsSpan(0), (ushort)(BitConverter.SingleToInt32Bits(3.140625f) >> 16));
        BitConverter.TryWriteBytes(bf.AsSpan(2), (ushort)(BitConverter.SingleToInt32Bits(-0.5f) >> 16));
        var longs = new byte[16];
        BitConverter.TryWriteBytes(longs.AsSpan(0), 7L);
        BitConverter.TryWriteBytes(longs.AsSpan(8), -2047L);
        var path = new SafetensorsBuilder()
            .Add("a", [2, 2], [1f, 2f, 3f, 4f])
            .AddRaw("h", "F16", [3], half)
            .AddRaw("b", "BF16", [2], bf)
            .AddRaw("i", "I64", [2], longs)
            .WriteTo(dir.File("t.safetensors"));

        using var f = SafetensorsFile.Open(path);
        Assert.Equal([1f, 2f, 3f, 4f], f.ReadFloat32("a", 2, 2));
        Assert.Equal([1.5f, -2.25f, 0.0009765625f], f.ReadFloat32("h"));
        Assert.Equal([3.140625f, -0.5f], f.ReadFloat32("b", 2));
        Assert.Equal([7L, -2047L], f.ReadInt64("i", 2));
        Assert.Equal([2, 2], f.ReadTensor("a").Shape);
        Assert.Equal(4, f.Names.Count);
    }

    [Fact]
    public void ATensorReadsTheSameAfterItsPagesLeftTheWorkingSet()
    {
        // Reading a tensor drops its pages from the process (Linux); a second read, or its neighbours', faults them back.
        using var dir = new TempDir();
        var random = new Random(4);
        float[] Values(int n) => Enumerable.Range(0, n).Select(_ => (float)random.NextDouble()).ToArray();
        var (a, b, c) = (Values(3), Values(300_001), Values(70_000));   // b spans many pages and shares one with each neighbour
        var path = new SafetensorsBuilder().Add("a", [3], a).Add("b", [300_001], b).Add("c", [70_000], c).WriteTo(dir.File("t.safetensors"));
        using var f = SafetensorsFile.Open(path);
        Assert.Equal(b, f.ReadFloat32("b"));
        Assert.Equal(b, f.ReadFloat32("b"));
        Assert.Equal(a, f.ReadFloat32("a"));
        Assert.Equal(c, f.ReadFloat32("c"));
        Assert.Equal(b, f.ReadFloat32("b"));
    }

    [Fact]
    public void ResolvesMetadataAliases()
    {
        using var dir = new TempDir();
        var path = new SafetensorsBuilder()
            .Add("t5.encoder.embed_tokens.weight", [2], [5f, 6f])
            .Alias("t5.shared.weight", "t5.encoder.embed_tokens.weight")
            .WriteTo(dir.File("t.safetensors"));
        using var f = SafetensorsFile.Open(path);
        Assert.True(f.Contains("t5.shared.weight"));
        Assert.Equal([5f, 6f], f.ReadFloat32("t5.shared.weight"));
    }

    [Fact]
    public void MissingFileIsNamed()
    {
        var e = Assert.Throws<CheckpointException>(() => SafetensorsFile.Open("/nonexistent/stage/model.safetensors"));
        Assert.Contains("/nonexistent/stage/model.safetensors", e.Message);
        Assert.Contains("not found", e.Message);
    }

    [Fact]
    public void TruncatedFilesAreReported()
    {
        using var dir = new TempDir();
        var full = new SafetensorsBuilder().Add("w", [4], [1f, 2f, 3f, 4f]).Build();

        File.WriteAllBytes(dir.File("short.safetensors"), full[..5]);
        Assert.Contains("truncated", Assert.Throws<CheckpointException>(() => SafetensorsFile.Open(dir.File("short.safetensors"))).Message);

        File.WriteAllBytes(dir.File("header.safetensors"), full[..20]);
        Assert.Contains("truncated", Assert.Throws<CheckpointException>(() => SafetensorsFile.Open(dir.File("header.safetensors"))).Message);

        File.WriteAllBytes(dir.File("data.safetensors"), full[..^3]);
        var e = Assert.Throws<CheckpointException>(() => SafetensorsFile.Open(dir.File("data.safetensors")));
        Assert.Contains("truncated", e.Message);
        Assert.Contains("'w'", e.Message);
    }

    [Fact]
    public void InvalidHeaderJsonIsReported()
    {
        using var dir = new TempDir();
        var json = Encoding.UTF8.GetBytes("{\"w\": {\"dtype\": \"F32\", \"shape\": [1], ");
        var bytes = BitConverter.GetBytes((ulong)json.Length).Concat(json).Concat(new byte[4]).ToArray();
        File.WriteAllBytes(dir.File("bad.safetensors"), bytes);
        var e = Assert.Throws<CheckpointException>(() => SafetensorsFile.Open(dir.File("bad.safetensors")));
        Assert.Contains("invalid safetensors header JSON", e.Message);

        var noOffsets = Encoding.UTF8.GetBytes("{\"w\": {\"dtype\": \"F32\", \"shape\": [1]}}");
        File.WriteAllBytes(dir.File("bad2.safetensors"), BitConverter.GetBytes((ulong)noOffsets.Length).Concat(noOffsets).ToArray());
        e = Assert.Throws<CheckpointException>(() => SafetensorsFile.Open(dir.File("bad2.safetensors")));
        Assert.Contains("invalid safetensors header JSON", e.Message);
        Assert.Contains("'w'", e.Message);
    }

    [Fact]
    public void MissingTensorIsNamed()
    {
        using var dir = new TempDir();
        var path = new SafetensorsBuilder().Add("present", [1], [1f]).WriteTo(dir.File("t.safetensors"));
        using var f = SafetensorsFile.Open(path);
        var e = Assert.Throws<CheckpointException>(() => f.ReadFloat32("encodec_model.encoder.model.0.conv.conv.bias"));
        Assert.Contains("missing tensor 'encodec_model.encoder.model.0.conv.conv.bias'", e.Message);
    }

    [Fact]
    public void ShapeMismatchNamesBothShapes()
    {
        using var dir = new TempDir();
        var path = new SafetensorsBuilder().Add("w", [2, 3], new float[6]).WriteTo(dir.File("t.safetensors"));
        using var f = SafetensorsFile.Open(path);
        var e = Assert.Throws<CheckpointException>(() => f.ReadFloat32("w", 3, 2));
        Assert.Contains("'w'", e.Message);
        Assert.Contains("shape [2, 3]", e.Message);
        Assert.Contains("expected [3, 2]", e.Message);
        Assert.Equal(6, f.ReadFloat32("w", -1, 3).Length);
    }

    [Fact]
    public void UnsupportedDtypeIsNamed()
    {
        using var dir = new TempDir();
        var path = new SafetensorsBuilder().AddRaw("w", "F64", [1], new byte[8]).AddRaw("u", "U8", [2], new byte[2]).WriteTo(dir.File("t.safetensors"));
        using var f = SafetensorsFile.Open(path);
        var e = Assert.Throws<CheckpointException>(() => f.ReadFloat32("w"));
        Assert.Contains("unsupported dtype F64", e.Message);
        Assert.Contains("'w'", e.Message);
        Assert.Contains("unsupported dtype U8", Assert.Throws<CheckpointException>(() => f.ReadInt64("u")).Message);
    }

    [Fact]
    public void WeightNormFoldsEitherSpelling()
    {
        using var dir = new TempDir();
        float[] v = [3f, 4f, 0f, 1f, 2f, 2f];   // [2, 3, 1]: ‖v0‖ = 5, ‖v1‖ = 3
        float[] g = [10f, -6f];
        float[] expected = [6f, 8f, 0f, -2f, -4f, -4f];
        var p1 = new SafetensorsBuilder()
            .Add("m.parametrizations.weight.original0", [2, 1, 1], g)
            .Add("m.parametrizations.weight.original1", [2, 3, 1], v)
            .WriteTo(dir.File("new.safetensors"));
        var p2 = new SafetensorsBuilder()
            .Add("m.weight_g", [2, 1, 1], g)
            .Add("m.weight_v", [2, 3, 1], v)
            .WriteTo(dir.File("old.safetensors"));
        using (var f = SafetensorsFile.Open(p1)) Assert.Equal(expected, WeightNorm.Read(f, "m", [2, 3, 1]));
        using (var f = SafetensorsFile.Open(p2)) Assert.Equal(expected, WeightNorm.Read(f, "m", [2, 3, 1]));
        using (var f = SafetensorsFile.Open(p2))
            Assert.Contains("missing tensor 'x.parametrizations.weight.original1'",
                Assert.Throws<CheckpointException>(() => WeightNorm.Read(f, "x", [2, 3, 1])).Message);
    }

    [Fact]
    public void ModelFolderErrorsAndFixtureConfig()
    {
        Assert.Contains("model folder not found", Assert.Throws<CheckpointException>(() => ModelFolder.Open("/nonexistent/models/drums")).Message);
        using var dir = new TempDir();
        var e = Assert.Throws<CheckpointException>(() => ModelFolder.Open(dir.Path));
        Assert.Contains("model.safetensors", e.Message);

        new SafetensorsBuilder().Add("x", [1], [1f]).WriteTo(dir.File("model.safetensors"));
        var released = ModelFolder.Open(dir.Path);
        Assert.Equal(128, released.Config.Encodec.Dimension);
        Assert.Equal(1024, released.Config.Lm.Dim);
        Assert.Equal(768, released.Config.T5.DModel);
        Assert.Equal(640, released.Config.Encodec.HopLength);

        File.WriteAllText(dir.File("config.json"), "{\"encodec\": [1, ");
        Assert.Contains("config.json: invalid JSON", Assert.Throws<CheckpointException>(() => ModelFolder.Open(dir.Path)).Message);

        var fixture = ModelFolder.Open(Fixture.Directory);
        Assert.Equal(16, fixture.Config.Encodec.Dimension);
        Assert.Equal(4, fixture.Config.Encodec.NFilters);
        Assert.Equal(64, fixture.Config.Lm.Dim);
        Assert.Equal(2, fixture.Config.Lm.Layers);
        Assert.Equal(32, fixture.Config.T5.DModel);
        Assert.Equal(64, fixture.Config.T5.ProjectionDim);
        Assert.Equal(512, fixture.Config.T5.VocabSize);
        using var weights = fixture.OpenWeights();
        Assert.Equal(179, weights.Names.Count);
        Assert.True(weights.Contains("condition_provider.embedders.description.t5.shared.weight"));
    }
}
