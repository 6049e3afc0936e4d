using System.Globalization;
using Stage.Engine.Jobs;
using Stage.Inference.Generation;

namespace Stage.Engine.Cli;

/// <summary>The parsed command line of <c>stage-engine generate</c>.</summary>
public sealed record GenerateArguments(StemRequest Request, string? ContextPath, string? CodesPath, DeviceOptions Device)
{
    /// <summary>Parses the options; malformed ones throw <see cref="UsageException"/>.
    /// The context WAV is not read here (see <see cref="ContextPath"/>).</summary>
    public static GenerateArguments Parse(string[] args)
    {
        string? model = null, output = null, context = null, codes = null, prompt = null;
        ContextMode? mode = null;
        double bpm = 120, clickOffset = 0;
        int numerator = 4, denominator = 4;
        int? bars = null;
        double? seconds = null;
        ulong seed = 42;
        int topK = 250, variations = 1, sampleRate = StemContext.SampleRate, channels = 1;
        float temperature = 1f, guidance = 3f;
        var device = new DeviceOptions();

        for (int i = 0; i < args.Length; i++)
        {
            string name = args[i];
            string Value()
            {
                if (i + 1 >= args.Length) throw new UsageException($"{name} needs a value");
                return args[++i];
            }
            if (device.TryTake(name, Value)) continue;
            switch (name)
            {
                case "--model": model = Value(); break;
                case "--out": output = Value(); break;
                case "--context": context = Value(); break;
                case "--context-mode":
                    string m = Value();
                    if (!ContextModes.TryParse(m, out var parsedMode))
                        throw new UsageException($"--context-mode '{m}' is not one of mixture, click, both");
                    mode = parsedMode;
                    break;
                case "--bpm": bpm = ParseDouble(name, Value()); break;
                case "--meter": (numerator, denominator) = ParseMeter(Value()); break;
                case "--click-offset": clickOffset = ParseDouble(name, Value()); break;
                case "--bars": bars = ParseInt(name, Value()); break;
                case "--seconds": seconds = ParseDouble(name, Value()); break;
                case "--prompt": prompt = Value(); break;
                case "--seed":
                    string s = Value();
                    if (!ulong.TryParse(s, NumberStyles.None, CultureInfo.InvariantCulture, out seed))
                        throw new UsageException($"--seed '{s}' is not a whole number from 0 to {ulong.MaxValue}");
                    break;
                case "--top-k": topK = ParseInt(name, Value()); break;
                case "--temperature": temperature = (float)ParseDouble(name, Value()); break;
                case "--guidance": guidance = (float)ParseDouble(name, Value()); break;
                case "--variations": variations = ParseInt(name, Value()); break;
                case "--codes-out": codes = Value(); break;
                case "--sample-rate": sampleRate = ParseInt(name, Value()); break;
                case "--channels": channels = ParseInt(name, Value()); break;
                default: throw new UsageException($"unknown option '{name}'");
            }
        }
        if (model is null) throw new UsageException("--model DIR is required");
        if (output is null) throw new UsageException("--out STEM.wav is required");
        if (bars.HasValue == seconds.HasValue) throw new UsageException("give exactly one of --bars N and --seconds S");

        var contextMode = mode ?? (context is null ? ContextMode.Click : ContextMode.Mixture);
        if (contextMode.UsesMixture() && context is null)
            throw new UsageException($"--context-mode {contextMode.Name()} needs --context MIX.wav");

        var request = new StemRequest
        {
            ModelFolder = model,
            ContextMode = contextMode,
            Bpm = bpm,
            MeterNumerator = numerator,
            MeterDenominator = denominator,
            ClickOffsetSeconds = clickOffset,
            Bars = bars,
            Seconds = seconds,
            Prompt = prompt,
            Seed = seed,
            TopK = topK,
            Temperature = temperature,
            Guidance = guidance,
            Variations = variations,
            SampleRate = sampleRate,
            Channels = channels,
            OutputPath = output,
        };
        return new GenerateArguments(request, context, codes, device);
    }

    static double ParseDouble(string name, string text)
    {
        if (!double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out double value) || !double.IsFinite(value))
            throw new UsageException($"{name} '{text}' is not a number");
        return value;
    }

    static int ParseInt(string name, string text)
    {
        if (!int.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out int value))
            throw new UsageException($"{name} '{text}' is not a whole number");
        return value;
    }

    static (int, int) ParseMeter(string text)
    {
        var parts = text.Split('/');
        if (parts.Length != 2
            || !int.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out int n)
            || !int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out int d))
            throw new UsageException($"--meter '{text}' is not a meter like 4/4, 3/4 or 6/8");
        return (n, d);
    }
}
