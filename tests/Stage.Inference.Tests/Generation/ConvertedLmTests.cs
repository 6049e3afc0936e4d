using Stage.Inference.Checkpoints;
using Stage.Inference.Generation;
using Stage.Inference.Gpu;
using Stage.Inference.Models.Lm;
using Stage.Inference.Tests.Checkpoints;

namespace Stage.Inference.Tests.Generation;

/// <summary>
/// A bf16 or int8 LM's matrices kept next to the checkpoint by a first load and mapped by later ones
/// (<see cref="ConvertedLm"/>): the same model either way, and a file that does not belong is written again.
/// </summary>
public class ConvertedLmTests(Xunit.Abstractions.ITestOutputHelper output)
{
    static readonly GenerationOptions Greedy = new() { Frames = 12, TopK = 1, Prompt = "funky drums with ghost notes" };

    /// <summary>The fixture model in a folder of its own: loads may write there.</summary>
    static string CopyOfTheFixture(TempDir dir)
    {
        foreach (var name in new[] { ModelFolder.WeightsFileName, ModelFolder.TokenizerFileName, ModelFolder.ConfigFileName })
            if (File.Exists(Path.Combine(Fixture.Directory, name)))
                File.Copy(Path.Combine(Fixture.Directory, name), dir.File(name));
        return dir.Path;
    }

    static string ConvertedPath(string folder, WeightPrecision precision) =>
        ConvertedLm.PathFor(Path.Combine(folder, ModelFolder.WeightsFileName), precision);

    static int[][] Generate(StageModel model) =>
        new StageGenerator().Generate(model, model.EncodeContext(Goldens.Floats("encodec.signal")), Greedy, null, CancellationToken.None);

    [Theory]
    [InlineData(WeightPrecision.BFloat16)]
    [InlineData(WeightPrecision.Int8)]
    public void AFirstLoadKeepsTheMatricesAndALaterOneMapsThemToTheSameModel(WeightPrecision precision)
    {
        using var dir = new TempDir();
        string folder = CopyOfTheFixture(dir);
        var first = StageModel.Load(folder, precision, keepConverted: true);
        Assert.StartsWith($"written to {ConvertedPath(folder, precision)}", first.ConvertedLmNote);
        Assert.True(File.Exists(ConvertedPath(folder, precision)));
        Assert.Empty(Directory.GetFiles(folder, "*.partial"));

        var mapped = StageModel.Load(folder, precision, keepConverted: true);
        Assert.Equal($"mapped from {ConvertedPath(folder, precision)}", mapped.ConvertedLmNote);
        Assert.Equal(precision, mapped.Lm.Precision);
        var a = first.Lm.Matrices().ToArray();
        var b = mapped.Lm.Matrices().ToArray();
        Assert.Equal(a.Length, b.Length);
        for (int i = 0; i < a.Length; i++)
        {
            Assert.Equal(a[i].Name, b[i].Name);
            var x = new float[a[i].Weights.Rows * a[i].Weights.Cols];
            var y = new float[x.Length];
            a[i].Weights.CopyTo(x);
            b[i].Weights.CopyTo(y);
            Assert.Equal(x, y);
        }
        Assert.Equal(Generate(first), Generate(mapped));
    }

    /// <summary>Linux: the pages of <paramref name="path"/>'s mappings in this process's working set, in bytes.</summary>
    static long MappedResident(string path)
    {
        long bytes = 0;
        bool inside = false;
        foreach (var line in File.ReadLines("/proc/self/smaps"))
        {
            if (char.IsAsciiHexDigit(line[0]) && line.Contains('-')) inside = line.EndsWith(path, StringComparison.Ordinal);
            else if (inside && line.StartsWith("Rss:", StringComparison.Ordinal))
                bytes += long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]) * 1024;
        }
        return bytes;
    }

    [Fact]
    public void TheCrossAttentionMatricesOfAMappedLmLeaveTheWorkingSetAfterAPromptAndAreReadAgainForTheNext()
    {
        if (!OperatingSystem.IsLinux()) return;
        using var dir = new TempDir();
        string folder = CopyOfTheFixture(dir);
        _ = StageModel.Load(folder, WeightPrecision.BFloat16, keepConverted: true);
        var model = StageModel.Load(folder, WeightPrecision.BFloat16, keepConverted: true);
        Assert.StartsWith("mapped from", model.ConvertedLmNote);
        var context = model.EncodeContext(Goldens.Floats("encodec.signal"));
        int[][] Take(string prompt) => new StageGenerator().Generate(model, context, Greedy with { Prompt = prompt }, null, CancellationToken.None);

        var first = Take("funky drums with ghost notes");
        _ = Take("a slow reggae one drop");   // every other matrix is in the working set by now; this prompt's cross-attention leaves it
        string path = ConvertedPath(folder, WeightPrecision.BFloat16);
        long projections = 0, edges = 0;   // a matrix keeps the pages it shares with its neighbours
        foreach (var (name, weights) in model.Lm.Matrices())
            if (name.EndsWith(".cross_k", StringComparison.Ordinal) || name.EndsWith(".cross_v", StringComparison.Ordinal)   // used once per prompt
                || name.EndsWith(".cross_q", StringComparison.Ordinal) || name.EndsWith(".cross_out", StringComparison.Ordinal))  // folded into it
            {
                projections += weights.Bytes;
                edges += 2 * Environment.SystemPageSize;
            }
        long resident = MappedResident(path), file = new FileInfo(path).Length;
        output.WriteLine($"converted file {file} bytes, {resident} in the working set; the cross-attention matrices are {projections}");
        Assert.True(resident > 0, "the converted file is not mapped");
        Assert.True(resident <= file - projections + edges, $"{resident} of {file} bytes resident: the cross-attention matrices stayed");
        Assert.Equal(first, Take("funky drums with ghost notes"));   // read again from the page cache, the same weights
    }

    /// <summary>Linux: this process's open files inside <paramref name="folder"/>.</summary>
    static int OpenFilesIn(string folder)
    {
        int open = 0;
        foreach (var fd in Directory.EnumerateFileSystemEntries("/proc/self/fd"))
        {
            try
            {
                if (new FileInfo(fd).LinkTarget is { } target && target.StartsWith(folder + "/", StringComparison.Ordinal)) open++;
            }
            catch (IOException) { }   // closed while listed
        }
        return open;
    }

    [Fact]
    public void ADisposedModelLeavesNoFileOfItsFolderOpen()
    {
        // the installer verifies a model by loading it, then renames its folder: Windows refuses around an open file
        if (!OperatingSystem.IsLinux()) return;
        using var dir = new TempDir();
        string folder = CopyOfTheFixture(dir);
        StageModel.Load(folder, WeightPrecision.BFloat16, keepConverted: true).Dispose();
        Assert.Equal(0, OpenFilesIn(dir.Path));
        var mapped = StageModel.Load(folder, WeightPrecision.BFloat16, keepConverted: true);
        Assert.StartsWith("mapped from", mapped.ConvertedLmNote);
        Assert.True(OpenFilesIn(dir.Path) > 0, "the loaded model reads nothing from its folder: is the test looking in the right place?");
        mapped.Dispose();
        Assert.Equal(0, OpenFilesIn(dir.Path));
    }

    [Fact]
    public void ALoadThatFailsAfterTheTextAndTheLmLeavesNoFileOfItsFolderOpen()
    {
        // an installer deletes a folder it refuses, which Windows will not do around an open file
        if (!OperatingSystem.IsLinux()) return;
        using var dir = new TempDir();
        string folder = CopyOfTheFixture(dir);
        string checkpoint = Path.Combine(folder, ModelFolder.WeightsFileName);
        string missing = StageCheckpointLayout.Encodec.Codebook(3);   // EnCodec loads last
        var builder = new SafetensorsBuilder();
        using (var file = SafetensorsFile.Open(checkpoint))
        {
            foreach (var name in file.Names)
                if (name != missing) builder.Add(name, file.Entry(name).Shape, file.ReadFloat32(name));
            foreach (var (alias, target) in file.Metadata) builder.Alias(alias, target);
        }
        builder.WriteTo(checkpoint);
        var e = Assert.Throws<CheckpointException>(() => StageModel.Load(folder, WeightPrecision.BFloat16, keepConverted: true));
        Assert.Contains(missing, e.Message);
        Assert.True(File.Exists(ConvertedPath(folder, WeightPrecision.BFloat16)), "the LM was not loaded before the failure");
        Assert.Equal(0, OpenFilesIn(dir.Path));
    }

    [Fact]
    public void AFileMadeFromAnotherCheckpointIsWrittenAgain()
    {
        using var dir = new TempDir();
        string folder = CopyOfTheFixture(dir);
        _ = StageModel.Load(folder, WeightPrecision.BFloat16, keepConverted: true);
        File.SetLastWriteTimeUtc(Path.Combine(folder, ModelFolder.WeightsFileName), DateTime.UtcNow.AddMinutes(5));   // a checkpoint put there since
        var again = StageModel.Load(folder, WeightPrecision.BFloat16, keepConverted: true);
        Assert.StartsWith("written to", again.ConvertedLmNote);
        Assert.Contains("was made from another model.safetensors", again.ConvertedLmNote);
        Assert.StartsWith("mapped from", StageModel.Load(folder, WeightPrecision.BFloat16, keepConverted: true).ConvertedLmNote);
    }

    [Fact]
    public void ACheckpointOfTheSameSizeAndTimeButOtherWeightsIsToldApart()
    {
        using var dir = new TempDir();
        string folder = CopyOfTheFixture(dir);
        _ = StageModel.Load(folder, WeightPrecision.BFloat16, keepConverted: true);
        string checkpoint = Path.Combine(folder, ModelFolder.WeightsFileName);
        var written = File.GetLastWriteTimeUtc(checkpoint);
        using (var file = new FileStream(checkpoint, FileMode.Open, FileAccess.ReadWrite))
        {
            file.Position = file.Length / 16 * 3 + 10;   // inside the data, where the stamp samples
            int b = file.ReadByte();
            file.Position--;
            file.WriteByte((byte)(b ^ 0x01));
        }
        File.SetLastWriteTimeUtc(checkpoint, written);
        var again = StageModel.Load(folder, WeightPrecision.BFloat16, keepConverted: true);
        Assert.Contains("was made from another model.safetensors", again.ConvertedLmNote);
    }

    [Fact]
    public void AFileCutShortIsNotUsedAndIsWrittenAgain()
    {
        using var dir = new TempDir();
        string folder = CopyOfTheFixture(dir);
        var reference = Generate(StageModel.Load(folder, WeightPrecision.Int8, keepConverted: true));
        string path = ConvertedPath(folder, WeightPrecision.Int8);
        using (var file = new FileStream(path, FileMode.Open, FileAccess.Write)) file.SetLength(file.Length - 100);
        var again = StageModel.Load(folder, WeightPrecision.Int8, keepConverted: true);
        Assert.StartsWith("written to", again.ConvertedLmNote);
        Assert.Contains("truncated", again.ConvertedLmNote);
        Assert.Equal(reference, Generate(again));
        var mapped = StageModel.Load(folder, WeightPrecision.Int8, keepConverted: true);
        Assert.StartsWith("mapped from", mapped.ConvertedLmNote);
        Assert.Equal(reference, Generate(mapped));
    }

    [Fact]
    public void AFileOfAnotherPrecisionIsNotUsed()
    {
        using var dir = new TempDir();
        string folder = CopyOfTheFixture(dir);
        _ = StageModel.Load(folder, WeightPrecision.BFloat16, keepConverted: true);
        File.Copy(ConvertedPath(folder, WeightPrecision.BFloat16), ConvertedPath(folder, WeightPrecision.Int8));
        var int8 = StageModel.Load(folder, WeightPrecision.Int8, keepConverted: true);
        Assert.Contains("holds bf16 matrices, not int8", int8.ConvertedLmNote);
        Assert.Equal(WeightPrecision.Int8, int8.Lm.Precision);
    }

    [Fact]
    public void AMatrixOfTheWrongShapeIsRefusedNamingIt()
    {
        using var dir = new TempDir();
        string folder = CopyOfTheFixture(dir);
        var model = StageModel.Load(folder, WeightPrecision.BFloat16, keepConverted: true);
        using var converted = SafetensorsFile.Open(ConvertedPath(folder, WeightPrecision.BFloat16));
        var heads = model.Lm.Matrices().Last();
        var e = Assert.Throws<CheckpointException>(() => ConvertedLm.Matrix(converted, heads.Name, heads.Weights.Rows + 1, heads.Weights.Cols, WeightPrecision.BFloat16));
        Assert.Contains("'heads'", e.Message);
        Assert.Throws<CheckpointException>(() => ConvertedLm.Matrix(converted, heads.Name, heads.Weights.Rows, heads.Weights.Cols, WeightPrecision.Int8));
    }

    [Fact]
    public void NothingIsKeptAtF32OrUnlessAsked()
    {
        using var dir = new TempDir();
        string folder = CopyOfTheFixture(dir);
        Assert.Equal("not kept", StageModel.Load(folder, WeightPrecision.BFloat16).ConvertedLmNote);
        Assert.Equal("not kept", StageModel.Load(folder, WeightPrecision.Float32, keepConverted: true).ConvertedLmNote);
        Assert.Empty(Directory.GetFiles(folder, "*.lm-*"));
    }

    [Fact]
    public void AFolderThatCannotTakeTheFileStillLoads()
    {
        using var dir = new TempDir();
        string folder = CopyOfTheFixture(dir);
        Directory.CreateDirectory(ConvertedPath(folder, WeightPrecision.BFloat16));   // the name is taken by a folder
        var model = StageModel.Load(folder, WeightPrecision.BFloat16, keepConverted: true);
        Assert.StartsWith("not kept:", model.ConvertedLmNote);
        Assert.Empty(Directory.GetFiles(folder, "*.partial"));
        Assert.Equal(12, Generate(model)[0].Length);
    }
}
