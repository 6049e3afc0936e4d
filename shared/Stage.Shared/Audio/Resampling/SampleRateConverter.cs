using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Stage.Shared.Audio.Resampling;

/// <summary>
/// High-quality streaming sample-rate conversion between any two integer rates (32 kHz ↔ 44.1/48/96 kHz and any
/// other rational ratio whose polyphase table fits): polyphase Kaiser-windowed sinc, passband to 0.9 and stopband from
/// 1.0 of the lower rate's Nyquist frequency, ≥ 100 dB rejection (see <see cref="PolyphaseSincFilter"/>).
/// </summary>
/// <remarks>
/// <para><b>Alignment:</b> zero-phase. Output sample n is the band-limited input evaluated at input time
/// n · inputRate / outputRate, i.e. at the same instant n / outputRate seconds as input sample
/// n · inputRate / outputRate (as sox's linear-phase <c>rate</c> does): no delay is added and sample 0 of the output
/// is at the instant of sample 0 of the input, so a resampled stem stays sample-aligned with the host. The input is
/// taken as zero before its first and after its last sample.</para>
/// <para><b>Length:</b> a finished stream of N input frames gives N · outputRate / inputRate output frames rounded
/// half up, ⌊N·out/in + ½⌋, as sox does (one second stays one second; every output instant lies before the end of the
/// input), see <see cref="OutputFrameCount(long, int, int)"/>.</para>
/// <para><b>Streaming:</b> <see cref="Push(ReadOnlySpan{float})"/> blocks of any size, <see cref="Pull(Span{float})"/>
/// whatever is ready (an output needs <see cref="LookaheadInputFrames"/> input frames after its instant),
/// <see cref="Complete"/> at the end of the input, then pull the tail. Every output sample is the same dot product of
/// the same inputs in the same order however the input was split, so the streamed result equals the whole-buffer
/// result bit for bit (<see cref="Resample(AudioBuffer, int)"/> is the same machine fed at once).</para>
/// <para>Not thread-safe; one instance per stream. The filter tables are shared between instances.</para>
/// </remarks>
public sealed class SampleRateConverter
{
    private readonly PolyphaseSincFilter _filter;
    private readonly float[][] _history;
    private readonly int _taps;
    private readonly int _half;

    // History holds input frames [_historyStart, _historyStart + _historyCount) of every channel (absolute indices;
    // negative indices are the zeros before the input).
    private long _historyStart;
    private int _historyCount;
    private long _inputFrames;
    private bool _completed;

    // The next output: its index, and its instant n·M/L as the input index i0 plus phase p/L.
    private long _nextOutput;
    private long _instantIndex;
    private int _instantPhase;

    public SampleRateConverter(int inputRate, int outputRate, int channelCount)
    {
        if (inputRate < 1)
            throw new ArgumentOutOfRangeException(nameof(inputRate), inputRate, "Input rate must be positive.");
        if (outputRate < 1)
            throw new ArgumentOutOfRangeException(nameof(outputRate), outputRate, "Output rate must be positive.");
        if (channelCount < 1 || channelCount > WavReader.MaxChannels)
            throw new ArgumentOutOfRangeException(nameof(channelCount), channelCount, $"Channel count must be 1 to {WavReader.MaxChannels}.");
        InputRate = inputRate;
        OutputRate = outputRate;
        ChannelCount = channelCount;
        _filter = PolyphaseSincFilter.For(inputRate, outputRate);
        _taps = _filter.TapCount;
        _half = _taps / 2;
        _history = new float[channelCount][];
        for (var c = 0; c < channelCount; c++)
            _history[c] = new float[Math.Max(4 * _taps, 8192)];
        Reset();
    }

    public int InputRate { get; }

    public int OutputRate { get; }

    public int ChannelCount { get; }

    /// <summary>Input frames needed after an output's instant before it can be computed (the streaming delay; the
    /// output itself is not delayed).</summary>
    public int LookaheadInputFrames => _half;

    /// <summary>Taps of the filter per output sample (per channel).</summary>
    public int TapCount => _taps;

    public long InputFramesPushed => _inputFrames;

    public long OutputFramesPulled => _nextOutput;

    /// <summary>True once <see cref="Complete"/> was called and every output frame has been pulled.</summary>
    public bool IsFinished => _completed && _nextOutput >= OutputFrameCount(_inputFrames);

    /// <summary>Output frames that <see cref="Pull(Span{float})"/> can deliver now.</summary>
    public int AvailableFrames
    {
        get
        {
            long limit;
            if (_completed)
            {
                limit = OutputFrameCount(_inputFrames);
            }
            else
            {
                // Output n is ready when ⌊n·M/L⌋ + K/2 ≤ the last input index, i.e. ⌊n·M/L⌋ ≤ lastReady;
                // the first n that is not ready is ⌈(lastReady + 1)·L/M⌉.
                var lastReady = _historyStart + _historyCount - 1 - _half;
                if (lastReady < 0)
                    return 0;
                limit = CeilDiv((lastReady + 1) * _filter.UpFactor, _filter.DownFactor);
            }
            return (int)Math.Min(int.MaxValue, Math.Max(0, limit - _nextOutput));
        }
    }

    /// <summary>⌊inputFrames · outputRate / inputRate + ½⌋: the output length of a finished stream.</summary>
    public long OutputFrameCount(long inputFrames) => RoundedRatio(inputFrames, _filter.UpFactor, _filter.DownFactor);

    /// <summary>The output length of converting <paramref name="inputFrames"/> frames between the given rates.</summary>
    public static long OutputFrameCount(long inputFrames, int inputRate, int outputRate) =>
        RoundedRatio(inputFrames, outputRate, inputRate);

    private static long RoundedRatio(long frames, long up, long down)
    {
        if (frames < 0)
            throw new ArgumentOutOfRangeException(nameof(frames), frames, "Frame count cannot be negative.");
        return (checked(2 * frames * up) + down) / (2 * down);
    }

    /// <summary>Starts a new stream (keeps the filter).</summary>
    public void Reset()
    {
        _historyStart = 1 - _half;
        _historyCount = _half - 1;
        foreach (var channel in _history)
            Array.Clear(channel);
        _inputFrames = 0;
        _completed = false;
        _nextOutput = 0;
        _instantIndex = 0;
        _instantPhase = 0;
    }

    /// <summary>Appends interleaved input frames.</summary>
    public void Push(ReadOnlySpan<float> interleaved)
    {
        if (interleaved.Length % ChannelCount != 0)
            throw new ArgumentException($"{interleaved.Length} samples are not a whole number of {ChannelCount}-channel frames.", nameof(interleaved));
        var frames = interleaved.Length / ChannelCount;
        var at = Reserve(frames);
        Interleaving.Deinterleave(interleaved, _history, at);
        _historyCount += frames;
        _inputFrames += frames;
    }

    /// <summary>Appends <paramref name="frames"/> frames of planar input starting at <paramref name="offset"/>.</summary>
    public void Push(IReadOnlyList<float[]> planar, int offset, int frames)
    {
        if (planar.Count != ChannelCount)
            throw new ArgumentException($"Got {planar.Count} channels, the converter has {ChannelCount}.", nameof(planar));
        var at = Reserve(frames);
        for (var c = 0; c < ChannelCount; c++)
            planar[c].AsSpan(offset, frames).CopyTo(_history[c].AsSpan(at));
        _historyCount += frames;
        _inputFrames += frames;
    }

    /// <summary>Marks the end of the input; the remaining output (up to <see cref="OutputFrameCount(long)"/>) becomes
    /// available, computed as if the input continued with silence.</summary>
    public void Complete()
    {
        if (_completed)
            return;
        var at = Reserve(_half);
        foreach (var channel in _history)
            Array.Clear(channel, at, _half);
        _historyCount += _half;
        _completed = true;
    }

    /// <summary>Writes up to <c>output.Length / ChannelCount</c> ready frames, interleaved; returns the frame count.</summary>
    public int Pull(Span<float> interleaved)
    {
        var frames = Math.Min(AvailableFrames, interleaved.Length / ChannelCount);
        for (var c = 0; c < ChannelCount; c++)
            Render(interleaved, c, c, ChannelCount, frames);
        Advance(frames);
        return frames;
    }

    /// <summary>Writes up to <paramref name="maxFrames"/> ready frames into planar channels at <paramref name="offset"/>;
    /// returns the frame count.</summary>
    public int Pull(IReadOnlyList<float[]> planar, int offset, int maxFrames)
    {
        if (planar.Count != ChannelCount)
            throw new ArgumentException($"Got {planar.Count} channels, the converter has {ChannelCount}.", nameof(planar));
        var frames = Math.Min(AvailableFrames, maxFrames);
        for (var c = 0; c < ChannelCount; c++)
            Render(planar[c], c, offset, 1, frames);
        Advance(frames);
        return frames;
    }

    /// <summary>Converts a whole buffer (the streaming machine fed at once).</summary>
    public static AudioBuffer Resample(AudioBuffer input, int outputRate)
    {
        var converter = new SampleRateConverter(input.SampleRate, outputRate, input.ChannelCount);
        converter.Push(input.Channels, 0, input.FrameCount);
        converter.Complete();
        var output = new AudioBuffer(input.ChannelCount, checked((int)converter.OutputFrameCount(input.FrameCount)), outputRate);
        converter.Pull(output.Channels, 0, output.FrameCount);
        return output;
    }

    /// <summary>Converts a whole mono signal.</summary>
    public static float[] Resample(ReadOnlySpan<float> mono, int inputRate, int outputRate)
    {
        var converter = new SampleRateConverter(inputRate, outputRate, 1);
        converter.Push(mono);
        converter.Complete();
        var output = new float[checked((int)converter.OutputFrameCount(mono.Length))];
        converter.Pull(output);
        return output;
    }

    /// <summary>Computes <paramref name="frames"/> outputs of one channel from the current position, without moving
    /// it, into destination[offset], destination[offset + stride], ….</summary>
    private void Render(Span<float> destination, int channel, int offset, int stride, int frames)
    {
        var history = _history[channel];
        var index = _instantIndex;
        var phase = _instantPhase;
        var up = _filter.UpFactor;
        var down = _filter.DownFactor;
        var coefficients = _filter.Coefficients;
        for (int n = 0, o = offset; n < frames; n++, o += stride)
        {
            var start = (int)(index - _half + 1 - _historyStart);
            destination[o] = Dot(coefficients.AsSpan(phase * _taps, _taps), history.AsSpan(start, _taps));
            phase += down;
            if (phase >= up)
            {
                index += phase / up;
                phase %= up;
            }
        }
    }

    private void Advance(int frames)
    {
        var up = _filter.UpFactor;
        var advanced = (long)_instantPhase + (long)frames * _filter.DownFactor;
        _instantIndex += advanced / up;
        _instantPhase = (int)(advanced % up);
        _nextOutput += frames;
    }

    /// <summary>Makes room for <paramref name="frames"/> more input frames and returns where they go, dropping
    /// history the next output no longer needs.</summary>
    private int Reserve(int frames)
    {
        if (_completed)
            throw new InvalidOperationException("The input was already completed; Reset to start a new stream.");
        var neededFrom = _instantIndex - _half + 1;
        var drop = (int)Math.Clamp(neededFrom - _historyStart, 0, _historyCount);
        var capacity = _history[0].Length;
        if (_historyCount + frames > capacity || drop > capacity / 2)
        {
            var keep = _historyCount - drop;
            var newCapacity = capacity;
            while (keep + frames > newCapacity)
                newCapacity *= 2;
            for (var c = 0; c < ChannelCount; c++)
            {
                var source = _history[c];
                var target = newCapacity == capacity ? source : new float[newCapacity];
                Array.Copy(source, drop, target, 0, keep);
                _history[c] = target;
            }
            _historyStart += drop;
            _historyCount = keep;
        }
        return _historyCount;
    }

    /// <summary>Σ a[i]·b[i] with a summation order fixed by the length alone (independent of memory alignment, so
    /// streaming and whole-buffer results are identical).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float Dot(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        ref var ra = ref MemoryMarshal.GetReference(a);
        ref var rb = ref MemoryMarshal.GetReference(b);
        var length = a.Length;
        var i = 0;
        var sum = 0f;
        if (Vector.IsHardwareAccelerated)
        {
            var width = Vector<float>.Count;
            var sum0 = Vector<float>.Zero;
            var sum1 = Vector<float>.Zero;
            for (; i + 2 * width <= length; i += 2 * width)
            {
                sum0 += Vector.LoadUnsafe(ref ra, (nuint)i) * Vector.LoadUnsafe(ref rb, (nuint)i);
                sum1 += Vector.LoadUnsafe(ref ra, (nuint)(i + width)) * Vector.LoadUnsafe(ref rb, (nuint)(i + width));
            }
            if (i + width <= length)
            {
                sum0 += Vector.LoadUnsafe(ref ra, (nuint)i) * Vector.LoadUnsafe(ref rb, (nuint)i);
                i += width;
            }
            sum = Vector.Sum(sum0 + sum1);
        }
        for (; i < length; i++)
            sum += Unsafe.Add(ref ra, i) * Unsafe.Add(ref rb, i);
        return sum;
    }

    private static long CeilDiv(long numerator, long denominator) =>
        numerator <= 0 ? -((-numerator) / denominator) : (numerator + denominator - 1) / denominator;
}
