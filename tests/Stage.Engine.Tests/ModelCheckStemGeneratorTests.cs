using Stage.Engine.Jobs;
using Stage.Shared.Protocol;

namespace Stage.Engine.Tests;

public sealed class ModelCheckStemGeneratorTests : IDisposable
{
    readonly string _root = Directory.CreateTempSubdirectory("stage-models-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    async Task<StemGenerationException> Generate(Instrument instrument)
    {
        var generator = new ModelCheckStemGenerator(_root);
        var request = Requests.Echo(1) with { Instrument = instrument };
        return await Assert.ThrowsAsync<StemGenerationException>(() => generator.GenerateAsync(request, new NoSink(), CancellationToken.None));
    }

    [Fact]
    public async Task NoModelFolderNamesThePathAndTheExpectedFiles()
    {
        var e = await Generate(Instrument.Drums);
        Assert.Equal(FailureCode.ModelMissing, e.Code);
        Assert.StartsWith($"no drums model installed at {Path.Combine(_root, "drums")} (expected model.safetensors, config.json, spiece.model)", e.Message);
    }

    [Fact]
    public async Task IncompleteModelFolderNamesWhatIsMissing()
    {
        var bass = Directory.CreateDirectory(Path.Combine(_root, "bass")).FullName;
        File.WriteAllText(Path.Combine(bass, "config.json"), "{}");
        var e = await Generate(Instrument.Bass);
        Assert.Equal(FailureCode.ModelMissing, e.Code);
        Assert.StartsWith($"the bass model at {bass} is incomplete: model.safetensors, spiece.model missing", e.Message);
    }

    [Fact]
    public async Task CompleteModelFolderStillFailsHonestlyInsteadOfInventingAudio()
    {
        // The fixture model has the installed layout; copy it in as the drums model.
        var drums = Directory.CreateDirectory(Path.Combine(_root, "drums")).FullName;
        foreach (var file in ModelFolder.RequiredFiles)
            File.Copy(Path.Combine(RepositoryRoot.Path, "tests", "fixtures", "stage-tiny", file), Path.Combine(drums, file));
        var e = await Generate(Instrument.Drums);
        Assert.Equal(FailureCode.GenerationUnavailable, e.Code);
        Assert.Contains($"the drums model at {drums} is installed", e.Message);
    }

    sealed class NoSink : IStemSink
    {
        public ValueTask ReportProgressAsync(double fraction, string step, double? etaSeconds, CancellationToken cancel) =>
            throw new InvalidOperationException("the model check sends no progress");

        public ValueTask SendChunkAsync(int variation, long sampleOffset, PcmAudio audio, CancellationToken cancel) =>
            throw new InvalidOperationException("the model check must never send audio");
    }
}
