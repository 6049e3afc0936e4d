using Stage.Inference.Generation;
using Stage.Shared.Audio;
using Stage.Shared.Audio.Resampling;

namespace Stage.Engine.Jobs;

/// <summary>
/// Turns the model's 32 kHz mono audio into the delivered stem: resampled to the requested rate, trimmed to the
/// stem's exact length, mono or duplicated to stereo (interleaved). Fed piece by piece while streaming
/// (<see cref="Push"/>, <see cref="Complete"/>), or all at once for the WAV (<see cref="Render"/>); the resampler
/// gives the same samples either way.
/// </summary>
public sealed class StemOutput
{
    readonly SampleRateConverter? _converter;
    readonly float[] _resampled;
    readonly Action<long, float[]> _deliver;
    long _delivered;

    /// <param name="deliver">Receives (first frame, interleaved samples at the output rate).</param>
    public StemOutput(int sampleRate, int channels, long totalFrames, Action<long, float[]> deliver)
    {
        SampleRate = sampleRate;
        Channels = channels;
        TotalFrames = totalFrames;
        _deliver = deliver;
        if (sampleRate != StemContext.SampleRate) _converter = new SampleRateConverter(StemContext.SampleRate, sampleRate, 1);
        _resampled = new float[8192];
    }

    public int SampleRate { get; }
    public int Channels { get; }
    public long TotalFrames { get; }
    public long DeliveredFrames => _delivered;

    /// <summary>The next run of 32 kHz mono audio.</summary>
    public void Push(ReadOnlySpan<float> modelAudio)
    {
        if (_converter is null)
        {
            Deliver(modelAudio);
            return;
        }
        _converter.Push(modelAudio);
        Drain();
    }

    /// <summary>The model audio has ended: deliver the resampler's tail.</summary>
    public void Complete()
    {
        if (_converter is not null)
        {
            _converter.Complete();
            Drain();
        }
        if (_delivered < TotalFrames)
            throw new InvalidOperationException($"the stem ended after {_delivered} of {TotalFrames} frames");
    }

    void Drain()
    {
        int n;
        while ((n = _converter!.Pull(_resampled)) > 0) Deliver(_resampled.AsSpan(0, n));
    }

    void Deliver(ReadOnlySpan<float> mono)
    {
        int n = (int)Math.Min(mono.Length, TotalFrames - _delivered);
        if (n <= 0) return;
        var frames = new float[n * Channels];
        if (Channels == 1) mono[..n].CopyTo(frames);
        else ChannelMix.DuplicateMonoToStereo(mono[..n], frames);
        long start = _delivered;
        _delivered += n;
        _deliver(start, frames);
    }

    /// <summary>The whole stem at once: interleaved, <paramref name="totalFrames"/> frames.</summary>
    public static float[] Render(ReadOnlySpan<float> modelAudio, int sampleRate, int channels, long totalFrames)
    {
        var result = new float[checked((int)totalFrames * channels)];
        int written = 0;
        var output = new StemOutput(sampleRate, channels, totalFrames, (start, frames) =>
        {
            frames.CopyTo(result.AsSpan(written));
            written += frames.Length;
        });
        output.Push(modelAudio);
        output.Complete();
        return result;
    }
}
