using Stage.Inference.Checkpoints;

namespace Stage.Inference.Tests.Checkpoints;

public class EmbeddingTableTests
{
    const int Rows = 300, Dim = 40;

    static float[] Values(int seed)
    {
        var random = new Random(seed);
        var v = new float[Rows * Dim];
        for (int i = 0; i < v.Length; i++) v[i] = (float)(random.NextDouble() * 4 - 2);
        return v;
    }

    static byte[] Stored(float[] values, string dtype)
    {
        if (dtype == "F32")
        {
            var bytes = new byte[values.Length * 4];
            Buffer.BlockCopy(values, 0, bytes, 0, bytes.Length);
            return bytes;
        }
        var half = new byte[values.Length * 2];
        for (int i = 0; i < values.Length; i++)
        {
            if (dtype == "F16") BitConverter.TryWriteBytes(half.AsSpan(i * 2), (Half)values[i]);
            else BitConverter.TryWriteBytes(half.AsSpan(i * 2), (ushort)(BitConverter.SingleToInt32Bits(values[i]) >> 16));
        }
        return half;
    }

    [Theory]
    [InlineData("F32")]
    [InlineData("F16")]
    [InlineData("BF16")]
    public void RowsReadFromTheFileEqualTheTensorReadWhole(string dtype)
    {
        using var dir = new TempDir();
        var path = new SafetensorsBuilder()
            .Add("before", [3], [1f, 2f, 3f])   // the table does not start at the data section's first byte
            .AddRaw("emb", dtype, [Rows, Dim], Stored(Values(1), dtype))
            .WriteTo(dir.File("t.safetensors"));
        float[] whole;
        EmbeddingTable table;
        using (var file = SafetensorsFile.Open(path))
        {
            whole = file.ReadFloat32("emb", Rows, Dim);
            table = EmbeddingTable.InFile(file, "emb", Rows, Dim);
        }
        using (table)
        {
            Assert.True(table.IsInFile);
            var row = new float[Dim];
            foreach (int r in new[] { 0, 1, 157, Rows - 1 })
            {
                table.CopyRow(r, row);
                Assert.Equal(whole.AsSpan(r * Dim, Dim).ToArray(), row);
            }

            var looked = new float[3 * Dim];
            table.Lookup([Rows - 1, 0, 42], looked);
            Assert.Equal(whole.AsSpan((Rows - 1) * Dim, Dim).ToArray(), looked.AsSpan(0, Dim).ToArray());
            Assert.Equal(whole.AsSpan(42 * Dim, Dim).ToArray(), looked.AsSpan(2 * Dim, Dim).ToArray());

            var sum = Enumerable.Repeat(0.5f, Dim).ToArray();
            table.AddRow(7, sum, new float[Dim]);
            for (int i = 0; i < Dim; i++) Assert.Equal(0.5f + whole[7 * Dim + i], sum[i]);

            var all = new float[Rows * Dim];
            table.CopyAll(all);
            Assert.Equal(whole, all);
        }
    }

    [Fact]
    public void InMemoryAndInFileTablesAgree()
    {
        using var dir = new TempDir();
        var values = Values(2);
        var path = new SafetensorsBuilder().Add("emb", [Rows, Dim], values).WriteTo(dir.File("t.safetensors"));
        using var file = SafetensorsFile.Open(path);
        using var inFile = EmbeddingTable.InFile(file, "emb", Rows, Dim);
        var inMemory = EmbeddingTable.InMemory(values, Rows, Dim);
        Assert.False(inMemory.IsInFile);
        float[] a = new float[2 * Dim], b = new float[2 * Dim];
        inFile.Lookup([5, 299], a);
        inMemory.Lookup([5, 299], b);
        Assert.Equal(b, a);
    }

    [Fact]
    public void AnInMemoryTableLooksUpItsRows()
    {
        var table = EmbeddingTable.InMemory([0f, 0f, 1f, 2f, 3f, 4f], 3, 2);
        var y = new float[4];
        table.Lookup([2, 1], y);
        Assert.Equal([3f, 4f, 1f, 2f], y);
        table.AddRow(1, y, default);
        Assert.Equal([4f, 6f, 1f, 2f], y);
        Assert.Throws<ArgumentException>(() => EmbeddingTable.InMemory([0f, 1f, 2f], 2, 2));
    }

    [Fact]
    public void ARowOutsideTheTableIsRefused()
    {
        using var dir = new TempDir();
        var path = new SafetensorsBuilder().Add("emb", [Rows, Dim], Values(3)).WriteTo(dir.File("t.safetensors"));
        using var file = SafetensorsFile.Open(path);
        using var table = EmbeddingTable.InFile(file, "emb", Rows, Dim);
        var row = new float[Dim];
        Assert.Throws<ArgumentOutOfRangeException>(() => table.CopyRow(Rows, row));
        Assert.Throws<ArgumentOutOfRangeException>(() => table.CopyRow(-1, row));
        Assert.Throws<ArgumentOutOfRangeException>(() => table.Lookup([1, Rows], new float[2 * Dim]));
        Assert.Throws<ArgumentOutOfRangeException>(() => EmbeddingTable.InMemory(Values(3), Rows, Dim).AddRow(Rows, row, row));
    }

    [Fact]
    public void ATableOfAnotherShapeOrTypeIsRefusedNamingTheTensor()
    {
        using var dir = new TempDir();
        var path = new SafetensorsBuilder()
            .Add("emb", [Rows, Dim], Values(4))
            .AddRaw("ids", "I64", [2, 1], new byte[16])
            .WriteTo(dir.File("t.safetensors"));
        using var file = SafetensorsFile.Open(path);
        var shape = Assert.Throws<CheckpointException>(() => EmbeddingTable.InFile(file, "emb", Rows, Dim + 1));
        Assert.Contains("'emb'", shape.Message);
        Assert.Contains($"[{Rows}, {Dim + 1}]", shape.Message);
        var type = Assert.Throws<CheckpointException>(() => EmbeddingTable.InFile(file, "ids", 2, 1));
        Assert.Contains("'ids'", type.Message);
        Assert.Contains("I64", type.Message);
        Assert.Throws<CheckpointException>(() => EmbeddingTable.InFile(file, "missing", Rows, Dim));
    }

    [Fact]
    public void ACheckpointCutShortAfterLoadingGivesAnErrorNamingItOnTheNextLookup()
    {
        using var dir = new TempDir();
        var path = new SafetensorsBuilder().Add("emb", [Rows, Dim], Values(5)).WriteTo(dir.File("t.safetensors"));
        EmbeddingTable table;
        using (var file = SafetensorsFile.Open(path)) table = EmbeddingTable.InFile(file, "emb", Rows, Dim);
        using (table)
        {
            var row = new float[Dim];
            table.CopyRow(Rows - 1, row);
            using (var cut = new FileStream(path, FileMode.Open, FileAccess.Write, FileShare.ReadWrite | FileShare.Delete))
                cut.SetLength(cut.Length - Dim * 4 * 10);   // the last ten rows are gone
            table.CopyRow(0, row);
            var e = Assert.Throws<CheckpointException>(() => table.CopyRow(Rows - 1, row));
            Assert.Contains("t.safetensors", e.Message);
            Assert.Contains("'emb'", e.Message);
            Assert.Contains("changed after the model was loaded", e.Message);
        }
    }

    [Fact]
    public void AClosedTableGivesAnErrorNamingIt()
    {
        using var dir = new TempDir();
        var path = new SafetensorsBuilder().Add("emb", [Rows, Dim], Values(6)).WriteTo(dir.File("t.safetensors"));
        EmbeddingTable table;
        using (var file = SafetensorsFile.Open(path)) table = EmbeddingTable.InFile(file, "emb", Rows, Dim);
        table.Dispose();
        var e = Assert.Throws<CheckpointException>(() => table.CopyRow(0, new float[Dim]));
        Assert.Contains("'emb'", e.Message);
    }
}
