using System.CommandLine;
using Stage.Engine.Jobs;
using Stage.Inference.Generation;
using Stage.Shared;
using Stage.Shared.Audio;
using Instrument = Stage.Shared.Protocol.Instrument;
using InstrumentName = Stage.Shared.Protocol.InstrumentName;

namespace Stage.Engine.Cli;

/// <summary><c>stage-engine generate</c>: one stem (or several variations) from the command line.</summary>
public sealed class GenerateCommand : EngineCommand
{
    readonly Option<string?> _model = new("--model")
    {
        Description = "a STAGE model folder (model.safetensors, spiece.model, and config.json unless it has the released sizes); default: the installed model of --instrument",
        HelpName = "DIR",
    };

    readonly Option<string> _instrument = new("--instrument")
    {
        Description = "the installed model to use when --model is not given (stage-engine models install drums|bass)",
        HelpName = "drums|bass",
        DefaultValueFactory = _ => "drums",
        Validators = { r => { if (InstrumentName.Parse(r.GetValueOrDefault<string>() ?? "") is null) r.AddError("--instrument must be drums or bass"); } },
    };

    readonly Option<string?> _models = SharedOptions.ModelsRoot();
    readonly Option<string> _out = SharedOptions.Out("STEM.wav", "the stem's WAV (32-bit float, written atomically: temporary file + rename)");

    readonly Option<string?> _context = new("--context")
    {
        Description = "the session's audio (any rate/channels; mixed to mono, resampled to 32 kHz). Only the first 10 s are heard (STAGE's longest training context).",
        HelpName = "MIX.wav",
    };

    readonly Option<ContextMode?> _contextMode = new("--context-mode")
    {
        Description = "mixture (default with --context), click (default without), or both (mixture plus click, summed). A silent mixture (peak below -60 dBFS) is an error.",
        HelpName = "mixture|click|both",
        CustomParser = OptionValues.OneOf<ContextMode>(["mixture", "click", "both"], text => ContextModes.TryParse(text, out var mode) ? mode : null),
    };

    readonly Option<double> _bpm = new("--bpm")
    {
        Description = "tempo in quarter notes per minute (20-400)",
        HelpName = "BPM",
        DefaultValueFactory = _ => 120,
        CustomParser = OptionValues.Number,
    };

    readonly Option<(int Numerator, int Denominator)?> _meter = new("--meter")
    {
        Description = "meter (default 4/4); the click ticks each beat of the meter (eighths in 6/8), doubled and clipped on downbeats",
        HelpName = "N/D",
        CustomParser = OptionValues.Meter,
    };

    readonly Option<double> _clickOffset = new("--click-offset")
    {
        Description = "seconds from the context's start to the first bar line",
        HelpName = "SECONDS",
        DefaultValueFactory = _ => 0,
        CustomParser = OptionValues.Number,
    };

    readonly Option<int?> _bars = new("--bars")
    {
        Description = "stem length in bars; the WAV is trimmed to exactly N bars at the output rate (at most 60 s)",
        HelpName = "N",
        CustomParser = OptionValues.OptionalWholeNumber,
    };

    readonly Option<double?> _seconds = new("--seconds")
    {
        Description = "stem length in seconds: exactly round(S x 50) model frames, delivered whole (at most 60 s)",
        HelpName = "S",
        CustomParser = OptionValues.OptionalNumber,
    };

    readonly Option<string?> _prompt = new("--prompt")
    {
        Description = "text description (default: none, the null condition)",
        HelpName = "TEXT",
    };

    readonly Option<ulong> _seed = new("--seed")
    {
        Description = "random seed; variation v uses seed + v - 1",
        HelpName = "N",
        DefaultValueFactory = _ => 42,
        CustomParser = OptionValues.Seed,
    };

    readonly Option<int> _topK = new("--top-k")
    {
        Description = "sample among the K most likely tokens (1 = greedy)",
        HelpName = "K",
        DefaultValueFactory = _ => 250,
        CustomParser = OptionValues.WholeNumber,
    };

    readonly Option<float> _temperature = new("--temperature")
    {
        Description = "softmax temperature",
        HelpName = "T",
        DefaultValueFactory = _ => 1f,
        CustomParser = OptionValues.SingleNumber,
    };

    readonly Option<float> _guidance = new("--guidance")
    {
        Description = "classifier-free guidance scale",
        HelpName = "G",
        DefaultValueFactory = _ => 3f,
        CustomParser = OptionValues.SingleNumber,
    };

    readonly Option<int> _variations = new("--variations")
    {
        Description = "N candidates (1-8), written as STEM.wav, STEM-2.wav, STEM-3.wav, ...",
        HelpName = "N",
        DefaultValueFactory = _ => 1,
        CustomParser = OptionValues.WholeNumber,
    };

    readonly Option<string?> _codesOut = new("--codes-out")
    {
        Description = "also write the generated codes: one JSON object per variation and line, {\"frames\": F, \"codebooks\": 4, \"codes\": [[...] x4]}",
        HelpName = "CODES.json",
    };

    readonly Option<int> _sampleRate = new("--sample-rate")
    {
        Description = "output rate (the model's own is 32000)",
        HelpName = "HZ",
        DefaultValueFactory = _ => StemContext.SampleRate,
        CustomParser = OptionValues.WholeNumber,
    };

    readonly Option<int> _channels = new("--channels")
    {
        Description = "mono, or the mono stem duplicated to stereo",
        HelpName = "1|2",
        DefaultValueFactory = _ => 1,
        CustomParser = OptionValues.WholeNumber,
    };

    readonly DeviceOptions _device = new();

    public GenerateCommand() : base("generate", "generate a stem with a STAGE model (the product's main job)")
    {
        Details =
            """
            Generates a drum or bass stem that fits the context, with the model in DIR, and writes it as a 32-bit float
            WAV. Give exactly one of --bars N and --seconds S. A progress bar goes to stderr; Ctrl+C cancels cleanly
            (no partial WAV is left).
            Exit codes: 0 done, 1 failed, 2 bad command line or input, 130 cancelled.
            """;
        Add(_model);
        Add(_instrument);
        Add(_models);
        Add(_out);
        Add(_context);
        Add(_contextMode);
        Add(_bpm);
        Add(_meter);
        Add(_clickOffset);
        Add(_bars);
        Add(_seconds);
        Add(_prompt);
        Add(_seed);
        Add(_topK);
        Add(_temperature);
        Add(_guidance);
        Add(_variations);
        Add(_codesOut);
        Add(_sampleRate);
        Add(_channels);
        _device.AddTo(this);
        Validators.Add(result =>
        {
            if (result.GetResult(_bars) is null == result.GetResult(_seconds) is null)
                result.AddError("give exactly one of --bars N and --seconds S");
            // From the token: a mode that did not parse has its own error, and GetValue would throw.
            if (result.GetResult(_contextMode) is { Tokens: [.., var token] } && ContextModes.TryParse(token.Value, out var mode)
                && mode.UsesMixture() && result.GetResult(_context) is null)
                result.AddError($"--context-mode {mode.Name()} needs --context MIX.wav");
        });
    }

    /// <summary>The request and files of a parse result without errors.</summary>
    public GenerateArguments ToArguments(ParseResult result)
    {
        string? context = result.GetValue(_context);
        var (numerator, denominator) = result.GetValue(_meter) ?? (4, 4);
        var request = new StemRequest
        {
            ModelFolder = result.GetValue(_model) ?? InstalledModel.Resolve(SharedOptions.ModelsRootOf(result, _models), InstrumentName.Parse(result.GetRequiredValue(_instrument))!.Value).Path,
            ContextMode = result.GetValue(_contextMode) ?? (context is null ? ContextMode.Click : ContextMode.Mixture),
            Bpm = result.GetValue(_bpm),
            MeterNumerator = numerator,
            MeterDenominator = denominator,
            ClickOffsetSeconds = result.GetValue(_clickOffset),
            Bars = result.GetValue(_bars),
            Seconds = result.GetValue(_seconds),
            Prompt = result.GetValue(_prompt),
            Seed = result.GetValue(_seed),
            TopK = result.GetValue(_topK),
            Temperature = result.GetValue(_temperature),
            Guidance = result.GetValue(_guidance),
            Variations = result.GetValue(_variations),
            SampleRate = result.GetValue(_sampleRate),
            Channels = result.GetValue(_channels),
            OutputPath = result.GetRequiredValue(_out),
        };
        var (device, precision) = _device.Read(result);
        return new GenerateArguments(request, context, result.GetValue(_codesOut), device, precision);
    }

    protected override int Run(ParseResult result, TextWriter stdout, TextWriter stderr, CancellationToken cancel)
    {
        var parsed = ToArguments(result);
        var request = parsed.Request;
        try
        {
            if (parsed.ContextPath is { } contextPath)
            {
                float[] audio;
                WavFormat format;
                try
                {
                    audio = WavReader.ReadInterleaved(contextPath, out format);
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                {
                    throw new StemInputException($"cannot read the context WAV {contextPath}: {e.Message}");
                }
                request = request with { ContextAudio = audio, ContextSampleRate = format.SampleRate, ContextChannels = format.ChannelCount };
            }
            var context = StemJob.PrepareContext(request);
            var selection = DeviceOptions.Choose(parsed.Device, parsed.Precision);
            using var device = selection.Device;
            var model = LoadModel(request.ModelFolder, result.GetValue(_model) is null ? result.GetRequiredValue(_instrument) : null, device.HostLmPrecision, device.CodecBackend);
            stderr.WriteLine(selection.Message);
            using var generator = new StageGenerator(device);
            using var progress = new ProgressBar(stderr);
            var variations = StemJob.Run(model, generator, request, context, progress, cancel);
            progress.Finish();

            if (parsed.CodesPath is { } codesPath)
            {
                using var codes = new StreamWriter(codesPath);
                foreach (var v in variations) codes.WriteLine(CodesJson.Line(v.Codes));
            }
            foreach (var v in variations)
                stdout.WriteLine($"{v.WavPath}\t{v.Frames} frames\tseed {v.Seed}");
            return 0;
        }
        catch (Exception e) when (e is StemInputException or WavFormatException or ModelLoadException)
        {
            stderr.WriteLine($"stage-engine generate: {e.Message}");
            return 2;
        }
        catch (StemOutputException e)
        {
            stderr.WriteLine($"stage-engine generate: {e.Message}");
            return 1;
        }
    }

    /// <summary>The model in <paramref name="folder"/>; <paramref name="installed"/> names the instrument when the folder is the installed one.</summary>
    static StageModel LoadModel(string folder, string? installed, Stage.Inference.Gpu.WeightPrecision lmPrecision, Stage.Inference.Kernels.IComputeBackend codecBackend)
    {
        string full = Path.GetFullPath(folder);
        var missing = InstalledModel.MissingFiles(full);
        if (installed != null && missing.Count > 0)
            throw new ModelLoadException(Directory.Exists(full)
                ? $"the installed {installed} model at {full} is incomplete ({string.Join(", ", missing)} missing): run `stage-engine models install {installed}`"
                : $"no {installed} model is installed (looked in {full}): run `stage-engine models install {installed}`, or `stage-engine models import FILE --instrument {installed}` for a file downloaded by hand");
        if (missing.Count > 0)
            throw new ModelLoadException($"no complete STAGE model at {full}: {string.Join(", ", missing)} missing (expected {InstalledModel.Expected})");
        try
        {
            return StageModel.Load(full, lmPrecision, codecBackend, keepConverted: installed != null);   // not into a folder given by hand
        }
        catch (Exception e) when (e is IOException or InvalidDataException or FormatException or ArgumentException or UnauthorizedAccessException
                                   or Stage.Inference.Checkpoints.CheckpointException)
        {
            throw new ModelLoadException($"cannot load the STAGE model at {full}: {e.Message}");
        }
    }

    sealed class ModelLoadException(string message) : Exception(message);
}
