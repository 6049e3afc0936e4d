using Stage.Shared.Protocol;

namespace Stage.Engine.Jobs;

/// <summary>
/// The generator `serve` uses until the generation pipeline is wired in: it does the real first step of
/// every job, finding the instrument's model, and fails with what is missing. With a complete model it
/// still fails, saying this engine build cannot generate yet; it never invents audio.
/// </summary>
public sealed class ModelCheckStemGenerator(string modelsRoot) : IStemGenerator
{
    public Task<StemResult> GenerateAsync(GenerateRequest request, IStemSink sink, CancellationToken cancel)
    {
        cancel.ThrowIfCancellationRequested();
        var model = ModelFolder.Resolve(modelsRoot, request.Instrument);
        model.EnsureInstalled();
        throw new StemGenerationException(FailureCode.GenerationUnavailable,
            $"the {InstrumentName.Of(request.Instrument)} model at {model.Path} is installed, but this engine build has no generation pipeline yet; update stage-engine");
    }
}
