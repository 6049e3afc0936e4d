using Stage.Inference.Generation;

namespace Stage.Engine.Jobs;

/// <summary>
/// Everything one stem job needs, whichever way it came in (CLI or pipe). <see cref="Validate"/> checks the
/// values a producer controls and throws <see cref="StemInputException"/> naming the bad one.
/// </summary>
public sealed record StemRequest
{
    /// <summary>The model folder (model.safetensors, spiece.model, optional config.json).</summary>
    public required string ModelFolder { get; init; }

    /// <summary>The session's audio as interleaved PCM, or null for none.</summary>
    public float[]? ContextAudio { get; init; }
    public int ContextSampleRate { get; init; } = StemContext.SampleRate;
    public int ContextChannels { get; init; } = 1;
    public ContextMode ContextMode { get; init; } = ContextMode.Mixture;

    /// <summary>Quarter notes per minute, as hosts report tempo.</summary>
    public double Bpm { get; init; } = 120;
    public int MeterNumerator { get; init; } = 4;
    public int MeterDenominator { get; init; } = 4;

    /// <summary>Seconds from the context's (and stem's) start to the first bar line.</summary>
    public double ClickOffsetSeconds { get; init; }

    /// <summary>Exactly one of <see cref="Bars"/> and <see cref="Seconds"/>.</summary>
    public double? Bars { get; init; }
    public double? Seconds { get; init; }

    public string? Prompt { get; init; }
    public ulong Seed { get; init; } = 42;
    public int TopK { get; init; } = 250;
    public float Temperature { get; init; } = 1f;
    public float Guidance { get; init; } = 3f;
    public int Variations { get; init; } = 1;

    /// <summary>Output sample rate and channel count (1, or 2 = the mono stem duplicated).</summary>
    public int SampleRate { get; init; } = StemContext.SampleRate;
    public int Channels { get; init; } = 1;

    /// <summary>Where to write the WAV (variation v > 1 gets "-v" before the extension), or null for none.</summary>
    public string? OutputPath { get; init; }

    public const double MinBpm = 20, MaxBpm = 400;
    public const int MaxVariations = 8;
    public const int MinSampleRate = 8000, MaxSampleRate = 192000;

    public void Validate()
    {
        if (!double.IsFinite(Bpm) || Bpm < MinBpm || Bpm > MaxBpm)
            throw new StemInputException($"tempo {Bpm} BPM is outside {MinBpm}–{MaxBpm} BPM");
        if (MeterNumerator < 1 || MeterNumerator > 32)
            throw new StemInputException($"meter {MeterNumerator}/{MeterDenominator}: the numerator must be 1–32 beats");
        if (MeterDenominator is not (1 or 2 or 4 or 8 or 16 or 32))
            throw new StemInputException($"meter {MeterNumerator}/{MeterDenominator}: the denominator must be 1, 2, 4, 8, 16 or 32");
        if (!double.IsFinite(ClickOffsetSeconds) || Math.Abs(ClickOffsetSeconds) > StemDuration.MaxSeconds)
            throw new StemInputException($"click offset {ClickOffsetSeconds} s is not a time within the stem");
        if (Bars.HasValue == Seconds.HasValue)
            throw new StemInputException("give the stem's length either in bars or in seconds (exactly one of the two)");
        if (TopK < 1 || TopK > 2048)
            throw new StemInputException($"top-k {TopK} is outside 1–2048");
        if (!float.IsFinite(Temperature) || Temperature <= 0 || Temperature > 10)
            throw new StemInputException($"temperature {Temperature} is outside (0, 10]");
        if (!float.IsFinite(Guidance) || Guidance < 0 || Guidance > 20)
            throw new StemInputException($"guidance {Guidance} is outside 0–20");
        if (Variations < 1 || Variations > MaxVariations)
            throw new StemInputException($"{Variations} variations: ask for 1–{MaxVariations}");
        if (SampleRate < MinSampleRate || SampleRate > MaxSampleRate)
            throw new StemInputException($"output sample rate {SampleRate} Hz is outside {MinSampleRate}–{MaxSampleRate} Hz");
        if (Channels is not (1 or 2))
            throw new StemInputException($"{Channels} output channels: a stem is mono (1) or duplicated stereo (2)");
        if (ContextAudio is not null)
        {
            if (ContextSampleRate < 1000 || ContextSampleRate > 384000)
                throw new StemInputException($"context sample rate {ContextSampleRate} Hz is outside 1–384 kHz");
            if (ContextChannels < 1 || ContextChannels > 64)
                throw new StemInputException($"context audio has {ContextChannels} channels");
        }
        if (ContextMode.UsesMixture() && (ContextAudio is null || ContextAudio.Length == 0))
            throw new StemInputException($"context mode '{ContextMode.Name()}' needs context audio; give the session's mixture or use context mode 'click'");
        _ = Length;
    }

    /// <summary>The stem's length in model frames and in output samples.</summary>
    public StemDuration Length => Bars is double bars
        ? StemDuration.FromBars(bars, Bpm, MeterNumerator, MeterDenominator, SampleRate)
        : StemDuration.FromSeconds(Seconds ?? throw new StemInputException("no stem length given"), SampleRate);

    public ClickGrid Click => new(Bpm, MeterNumerator, MeterDenominator, ClickOffsetSeconds);

    /// <summary>The WAV path of variation <paramref name="variation"/> (0-based): STEM.wav, STEM-2.wav, STEM-3.wav, …</summary>
    public static string VariationPath(string outputPath, int variation)
    {
        if (variation == 0) return outputPath;
        string dir = Path.GetDirectoryName(outputPath) ?? "";
        return Path.Combine(dir, Path.GetFileNameWithoutExtension(outputPath) + "-" + (variation + 1) + Path.GetExtension(outputPath));
    }
}
