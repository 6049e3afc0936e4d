using System.Diagnostics;
using Stage.Inference.Generation;
using Stage.Shared;
using Stage.Shared.Protocol;
using ProtocolContextMode = Stage.Shared.Protocol.ContextMode;

namespace Stage.Engine.Jobs;

/// <summary>
/// The pipe server's generator: runs <see cref="StemJob"/> for a <see cref="GenerateRequest"/>, sending progress
/// and streamed audio through the sink. Models are loaded once per instrument (<see cref="StageModelCache"/>).
/// One generation runs at a time (the engine's cores are all used by one); later requests wait, cancellable.
/// </summary>
/// <param name="progressInterval">Progress messages of one stage are sent at most this often (every change of
/// stage is sent at once); default <see cref="DefaultProgressInterval"/>.</param>
/// <param name="device">Where the LM runs (default the CPU engine); owned by the caller.</param>
public sealed class StageStemGenerator(StageModelCache models, string? stemsFolder = null, TimeSpan? progressInterval = null,
    InferenceDevice? device = null) : IStemGenerator
{
    readonly SemaphoreSlim _oneAtATime = new(1, 1);
    readonly StageGenerator _generator = new(device ?? InferenceDevice.Cpu);
    readonly System.Collections.Concurrent.ConcurrentDictionary<string, Task<string?>> _preparing = new();   // by model folder

    public string DeviceName => (device ?? InferenceDevice.Cpu).Name;

    public static readonly TimeSpan DefaultProgressInterval = TimeSpan.FromMilliseconds(100);

    readonly TimeSpan _progressInterval = progressInterval ?? DefaultProgressInterval;

    public async Task<StemResult> GenerateAsync(GenerateRequest request, IStemSink sink, CancellationToken cancel)
    {
        var folder = InstalledModel.Resolve(models.ModelsRoot, request.Instrument);
        folder.EnsureInstalled();
        var stem = ToStemRequest(request, folder.Path);
        StemContext context;
        try
        {
            context = StemJob.PrepareContext(stem);
        }
        catch (StemInputException e)
        {
            throw new StemGenerationException(FailureCode.BadRequest, e.Message, e);
        }

        await _oneAtATime.WaitAsync(cancel).ConfigureAwait(false);
        try
        {
            var model = models.Get(request.Instrument);
            var listener = new SinkListener(sink, _progressInterval);
            var variations = await Task.Factory.StartNew(() => StemJob.Run(model, _generator, stem, context, listener, cancel),
                cancel, TaskCreationOptions.LongRunning, TaskScheduler.Default).ConfigureAwait(false);
            var paths = new List<string>();
            foreach (var v in variations)
                if (v.WavPath is not null) paths.Add(v.WavPath);
            return new StemResult(variations.Count, variations[0].Frames, paths);
        }
        catch (StemInputException e)
        {
            throw new StemGenerationException(FailureCode.BadRequest, e.Message, e);
        }
        catch (StemOutputException e)
        {
            throw new StemGenerationException(FailureCode.OutputFailed, e.Message, e);
        }
        finally
        {
            _oneAtATime.Release();
        }
    }

    /// <summary>
    /// Loads the instrument's model and runs one tiny job through it (1 s of silent context, 4 frames, the streamed
    /// decode), so the first Generate finds it in memory with its kernels compiled: on a full-size model that is the
    /// load and about a second of compiling the producer would otherwise wait through. Once per model folder; it holds
    /// the one-at-a-time gate like a generation, so a request never competes with it for the cores.
    /// </summary>
    public Task<string?> PrepareAsync(Instrument instrument)
    {
        var folder = InstalledModel.Resolve(models.ModelsRoot, instrument);
        if (!folder.IsInstalled) return Task.FromResult<string?>(null);
        // A thread of its own: loading and warming up block for seconds. Only the first caller gets the outcome to log.
        var preparation = new Task<string?>(() => Prepare(folder, instrument), TaskCreationOptions.LongRunning);
        if (!_preparing.TryAdd(folder.Path, preparation)) return Task.FromResult<string?>(null);
        preparation.Start(TaskScheduler.Default);
        return preparation;
    }

    string? Prepare(InstalledModel folder, Instrument instrument)
    {
        string name = InstrumentName.Of(instrument);
        _oneAtATime.Wait();
        try
        {
            var clock = Stopwatch.StartNew();
            bool wasLoaded = models.IsLoaded(instrument);
            var model = models.Get(instrument);
            var loaded = clock.Elapsed;
            StemJob.WarmUp(model, _generator);
            return $"the {name} model is ready: {(wasLoaded ? "already loaded" : $"loaded in {loaded.TotalSeconds:0.0} s (LM matrices {model.ConvertedLmNote})")}, "
                + $"warmed up in {(clock.Elapsed - loaded).TotalSeconds:0.0} s";
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            _preparing.TryRemove(folder.Path, out _);   // a later instance or request tries again
            return $"could not get the {name} model ready ({e.Message}); a Generate will load it";
        }
        finally
        {
            _oneAtATime.Release();
        }
    }

    StemRequest ToStemRequest(GenerateRequest r, string modelFolder)
    {
        ulong seed = r.Seed is long given ? unchecked((ulong)given) : (ulong)Random.Shared.NextInt64(0, 10_000);
        return new()
        {
            ModelFolder = modelFolder,
            ContextAudio = r.Context.Samples.IsEmpty ? null : r.Context.Samples.ToArray(),
            ContextSampleRate = r.Context.SampleRate,
            ContextChannels = r.Context.Channels,
            ContextMode = r.ContextMode switch
            {
                ProtocolContextMode.Mixture => Inference.Generation.ContextMode.Mixture,
                ProtocolContextMode.Click => Inference.Generation.ContextMode.Click,
                _ => Inference.Generation.ContextMode.Both,
            },
            Bpm = r.TempoBpm,
            MeterNumerator = r.TimeSignature.Numerator,
            MeterDenominator = r.TimeSignature.Denominator,
            ClickOffsetSeconds = r.ClickOffsetSeconds,
            Bars = r.Length.InBars ? r.Length.Value : null,
            Seconds = r.Length.InBars ? null : r.Length.Value,
            Prompt = string.IsNullOrWhiteSpace(r.Prompt) ? null : r.Prompt,
            Seed = seed,
            TopK = r.TopK == 0 ? 2048 : Math.Min(r.TopK, 2048), // 0 = no top-k: every token of the codebook
            Temperature = (float)r.Temperature,
            Guidance = (float)r.Guidance,
            Variations = r.Variations,
            SampleRate = r.OutputSampleRate,
            Channels = r.OutputChannels,
            OutputPath = r.WriteWav ? WavPath(r, seed) : null,
        };
    }

    /// <summary>The stem's file, named so a producer can tell stems apart in the folder they drag from:
    /// instrument, tempo, length, seed, then the time and a random tag. Request ids are only unique per
    /// plugin instance, so two instances asking in the same second would otherwise share (and overwrite) a file.</summary>
    string WavPath(GenerateRequest r, ulong seed)
    {
        string folder = r.WavDirectory ?? stemsFolder ?? StageFolders.Stems;
        string length = r.Length.InBars ? $"{r.Length.Value:0.##}bar{(r.Length.Value == 1 ? "" : "s")}" : $"{r.Length.Value:0.##}s";
        string name = string.Create(System.Globalization.CultureInfo.InvariantCulture,
            $"{InstrumentName.Of(r.Instrument)}-{r.TempoBpm:0.##}bpm-{length}-seed{seed}-{DateTime.Now:yyyyMMdd-HHmmss}-{Guid.NewGuid().ToString("N")[..8]}.wav");
        return Path.Combine(folder, name);
    }

    /// <summary>Runs on the job's thread; each call completes its pipe write before the job goes on. The writes are
    /// not given the job's token: a cancel arriving mid-frame would leave half a frame on the pipe and break the
    /// connection. The job itself stops at its next step; a vanished client fails the write with an IOException.</summary>
    sealed class SinkListener(IStemSink sink, TimeSpan progressInterval) : IStemListener
    {
        readonly Stopwatch _sinceProgress = Stopwatch.StartNew();
        string? _lastStage;

        public void Progress(StemProgress p)
        {
            if (p.Stage == _lastStage && _sinceProgress.Elapsed < progressInterval) return;
            _lastStage = p.Stage;
            _sinceProgress.Restart();
            sink.ReportProgressAsync(p.Fraction, p.Stage, p.Eta?.TotalSeconds, CancellationToken.None).AsTask().GetAwaiter().GetResult();
        }

        public void Audio(int variation, long startFrame, float[] interleaved, int sampleRate, int channels) =>
            sink.SendChunkAsync(variation, startFrame, new PcmAudio(interleaved, sampleRate, channels), CancellationToken.None)
                .AsTask().GetAwaiter().GetResult();

        public void VariationCompleted(StemVariation variation) { }
    }
}
