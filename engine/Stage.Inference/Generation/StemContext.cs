using System.Numerics.Tensors;

namespace Stage.Inference.Generation;

/// <summary>
/// The context audio STAGE hears, at 32 kHz mono, aligned so that sample 0 is where the stem starts
/// (STAGE's training cut context and target from the same chunk start).
/// </summary>
/// <remarks>
/// Length rules: STAGE trained on contexts of 5–10 s with 10 s targets, so one generation window sees at most
/// <see cref="WindowSamples"/> (10 s) of context; longer contexts are cut (never resampled or squeezed).
/// A mixture is used as long as it is (no padding: a short context leaves the rest of the stem unconditioned,
/// as in training). A click track covers max(10 s, stem length) so every window hears a full bar grid. In
/// <c>both</c> mode the mixture is zero-extended to the click's length and the two are summed unclipped
/// (paper §5.4 sums the waveforms).
/// </remarks>
public sealed class StemContext
{
    public const int SampleRate = 32000;
    public const int SamplesPerFrame = 640;

    /// <summary>The longest context STAGE saw in training: 10 s.</summary>
    public const int WindowSamples = 10 * SampleRate;

    /// <summary>A mixture whose peak stays below −60 dBFS is treated as silence: nothing was captured.</summary>
    public const float SilencePeak = 1e-3f;

    StemContext(ContextMode mode, float[] signal)
    {
        Mode = mode;
        Signal = signal;
    }

    public ContextMode Mode { get; }

    /// <summary>The whole context at 32 kHz, starting where the stem starts.</summary>
    public float[] Signal { get; }

    /// <summary>The context one generation window hears: at most 10 s starting at <paramref name="startSample"/>.</summary>
    public ReadOnlySpan<float> Window(int startSample)
    {
        if (startSample >= Signal.Length) return ReadOnlySpan<float>.Empty;
        return Signal.AsSpan(startSample, Math.Min(WindowSamples, Signal.Length - startSample));
    }

    /// <param name="mode">What to condition on.</param>
    /// <param name="mixture">The session's audio, already mono at 32 kHz (see <see cref="ContextAudio"/>); required for mixture and both.</param>
    /// <param name="click">The bar grid for the click track; required for click and both.</param>
    /// <param name="stemSamples">The stem's length at 32 kHz.</param>
    public static StemContext Prepare(ContextMode mode, float[]? mixture, ClickGrid? click, int stemSamples)
    {
        if (mode.UsesMixture())
        {
            if (mixture is null || mixture.Length == 0)
                throw new StemInputException($"context mode '{mode.Name()}' needs context audio; give the session's mixture or use context mode 'click'");
            if (mixture.Length < SamplesPerFrame)
                throw new StemInputException($"context audio is {mixture.Length} samples at 32 kHz, shorter than one model frame (20 ms); give at least a bar of the session");
            // MaxMagnitude returns the signed sample of largest magnitude, so a negative peak needs Abs.
            float peak = MathF.Abs(TensorPrimitives.MaxMagnitude<float>(mixture));
            if (!float.IsFinite(peak))
                throw new StemInputException("context audio contains NaN or infinite samples");
            if (peak < SilencePeak)
                throw new StemInputException(
                    $"context audio is silent (peak {20 * Math.Log10(Math.Max(peak, 1e-12)):0.#} dBFS, below −60 dBFS): nothing was captured; " +
                    "play the session while capturing, or use context mode 'click'");
        }
        if (mode.UsesClick() && click is null)
            throw new StemInputException($"context mode '{mode.Name()}' needs a tempo and meter for the click track");

        switch (mode)
        {
            case ContextMode.Mixture:
                return new StemContext(mode, mixture!);
            case ContextMode.Click:
                return new StemContext(mode, click!.Value.Synthesize(ClickLength(stemSamples)));
            case ContextMode.Both:
            {
                int length = Math.Max(mixture!.Length, ClickLength(stemSamples));
                var signal = click!.Value.Synthesize(length);
                TensorPrimitives.Add(signal.AsSpan(0, mixture.Length), mixture, signal.AsSpan(0, mixture.Length));
                return new StemContext(mode, signal);
            }
            default:
                throw new ArgumentOutOfRangeException(nameof(mode), mode, null);
        }
    }

    static int ClickLength(int stemSamples) => Math.Max(WindowSamples, stemSamples);
}
