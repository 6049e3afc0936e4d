using System.Collections.Concurrent;
using Stage.Inference.Generation;
using Stage.Shared.Protocol;

namespace Stage.Engine.Jobs;

/// <summary>Each instrument's model, loaded from its folder once and kept for the engine's lifetime.
/// A load that fails is not cached, so installing the model fixes the next request. A bf16 or int8 LM's converted
/// matrices are kept in the model folder by the first load and mapped by later ones (<see cref="Stage.Inference.Models.Lm.ConvertedLm"/>).</summary>
public sealed class StageModelCache(string modelsRoot, Stage.Inference.Gpu.WeightPrecision lmPrecision = Stage.Inference.Gpu.WeightPrecision.Float32, Stage.Inference.Kernels.IComputeBackend? codecBackend = null)
{
    readonly ConcurrentDictionary<string, Lazy<StageModel>> _models = new();

    public string ModelsRoot { get; } = modelsRoot;

    /// <summary>Whether the instrument's model is in memory already.</summary>
    public bool IsLoaded(Instrument instrument) =>
        _models.TryGetValue(InstalledModel.Resolve(ModelsRoot, instrument).Path, out var lazy) && lazy.IsValueCreated;

    /// <summary>The instrument's model; throws <see cref="StemGenerationException"/> (model_missing) when it is
    /// not installed or cannot be read.</summary>
    public StageModel Get(Instrument instrument)
    {
        var folder = InstalledModel.Resolve(ModelsRoot, instrument);
        folder.EnsureInstalled();
        var lazy = _models.GetOrAdd(folder.Path, path => new Lazy<StageModel>(() => StageModel.Load(path, lmPrecision, codecBackend, keepConverted: true)));
        try
        {
            return lazy.Value;
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            _models.TryRemove(new KeyValuePair<string, Lazy<StageModel>>(folder.Path, lazy));
            string name = InstrumentName.Of(instrument);
            throw new StemGenerationException(FailureCode.ModelMissing,
                $"the {name} model at {folder.Path} cannot be loaded: {e.Message}; reinstall the {name} model", e);
        }
    }
}
