using Stage.Engine.Tests.Jobs;
using Stage.Engine.Jobs;
using Stage.Shared.Protocol;

namespace Stage.Engine.Tests;

public sealed class InstalledModelTests : IDisposable
{
    readonly string _root = Directory.CreateTempSubdirectory("stage-models-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    StemGenerationException EnsureInstalled(Instrument instrument) =>
        Assert.Throws<StemGenerationException>(() => InstalledModel.Resolve(_root, instrument).EnsureInstalled());

    [Fact]
    public void NoModelFolderNamesThePathAndTheExpectedFiles()
    {
        var e = EnsureInstalled(Instrument.Drums);
        Assert.Equal(FailureCode.ModelMissing, e.Code);
        Assert.StartsWith($"no drums model installed at {Path.Combine(_root, "drums")}: run `stage-engine models install drums`", e.Message);
    }

    [Fact]
    public void IncompleteModelFolderNamesWhatIsMissing()
    {
        var bass = Directory.CreateDirectory(Path.Combine(_root, "bass")).FullName;
        File.WriteAllText(Path.Combine(bass, "config.json"), "{}");
        var e = EnsureInstalled(Instrument.Bass);
        Assert.Equal(FailureCode.ModelMissing, e.Code);
        Assert.StartsWith($"the bass model at {bass} is incomplete: model.safetensors, spiece.model missing", e.Message);
        Assert.EndsWith("run `stage-engine models install bass`", e.Message);
    }

    [Fact]
    public void CompleteModelFolderIsInstalled()
    {
        var drums = Directory.CreateDirectory(Path.Combine(_root, "drums")).FullName;
        foreach (var file in EndToEnd.ModelFiles)
            File.Copy(Path.Combine(RepositoryRoot.TinyFixture, file), Path.Combine(drums, file));
        var model = InstalledModel.Resolve(_root, Instrument.Drums);
        model.EnsureInstalled();
        Assert.Empty(model.MissingFiles());
        Assert.Equal(Path.Combine(drums, "model.safetensors"), model.Checkpoint);
    }

    [Fact]
    public void ReleasedModelNeedsNoConfig()
    {
        // The released stage-drums/stage-bass checkpoints come without config.json: their sizes are implied.
        var drums = Directory.CreateDirectory(Path.Combine(_root, "drums")).FullName;
        File.WriteAllText(Path.Combine(drums, "model.safetensors"), "");
        File.WriteAllText(Path.Combine(drums, "spiece.model"), "");
        InstalledModel.Resolve(_root, Instrument.Drums).EnsureInstalled();
    }
}
