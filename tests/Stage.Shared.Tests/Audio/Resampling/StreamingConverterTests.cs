using Stage.Shared.Audio;
using Stage.Shared.Audio.Resampling;

namespace Stage.Shared.Tests.Audio.Resampling;

public class StreamingConverterTests
{
    public static TheoryData<int, int, int> Cases => new()
    {
        { 32000, 48000, 2 }, { 32000, 44100, 1 }, { 32000, 96000, 2 },
        { 48000, 32000, 2 }, { 44100, 32000, 1 }, { 96000, 32000, 3 }, { 44100, 48000, 2 }, { 32000, 32000, 2 },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void StreamedInRandomBlocksEqualsWholeBufferBitForBit(int inputRate, int outputRate, int channels)
    {
        var random = new Random(inputRate + outputRate + channels);
        var input = new AudioBuffer(channels, 20_011, inputRate);
        for (var c = 0; c < channels; c++)
            Signals.Sweep(input.FrameCount, 30 + 100 * c, 0.49 * inputRate, inputRate).CopyTo(input.Channel(c), 0);
        var whole = SampleRateConverter.Resample(input, outputRate);

        var converter = new SampleRateConverter(inputRate, outputRate, channels);
        var interleavedInput = input.ToInterleaved();
        var streamed = new List<float>();
        var pullBuffer = new float[4096 * channels];
        var pushed = 0;
        while (pushed < input.FrameCount)
        {
            var frames = Math.Min(random.Next(0, 3) == 0 ? random.Next(1, 8) : random.Next(1, 3000), input.FrameCount - pushed);
            converter.Push(interleavedInput.AsSpan(pushed * channels, frames * channels));
            pushed += frames;
            var want = random.Next(0, 5000) * channels;
            var got = converter.Pull(pullBuffer.AsSpan(0, Math.Min(want, pullBuffer.Length)));
            streamed.AddRange(pullBuffer.AsSpan(0, got * channels).ToArray());
        }
        converter.Complete();
        int tail;
        while ((tail = converter.Pull(pullBuffer)) > 0)
            streamed.AddRange(pullBuffer.AsSpan(0, tail * channels).ToArray());

        Assert.True(converter.IsFinished);
        Assert.Equal(whole.FrameCount, streamed.Count / channels);
        Assert.Equal(whole.ToInterleaved(), streamed.ToArray());
    }

    [Fact]
    public void PlanarPushAndPullMatchInterleaved()
    {
        var input = new AudioBuffer(2, 5000, 32000);
        Signals.Sine(5000, 440, 32000).CopyTo(input.Channel(0), 0);
        Signals.Sine(5000, 3000, 32000).CopyTo(input.Channel(1), 0);
        var converter = new SampleRateConverter(32000, 48000, 2);
        converter.Push(input.Channels, 0, 1234);
        converter.Push(input.Channels, 1234, 5000 - 1234);
        converter.Complete();
        var planar = new AudioBuffer(2, 7500, 48000);
        var first = converter.Pull(planar.Channels, 0, 100);
        var rest = converter.Pull(planar.Channels, first, 10_000);
        Assert.Equal(7500, first + rest);
        Assert.Equal(SampleRateConverter.Resample(input, 48000).ToInterleaved(), planar.ToInterleaved());
    }

    [Theory]
    [InlineData(32000, 48000, 667, 1001)] // 1000.5 rounds half up, as sox
    [InlineData(32000, 44100, 667, 919)] // 919.2
    [InlineData(32000, 96000, 667, 2001)]
    [InlineData(48000, 32000, 1000, 667)] // 666.67
    [InlineData(96000, 32000, 1000, 333)]
    [InlineData(32000, 48000, 0, 0)]
    [InlineData(32000, 48000, 320000, 480000)]
    public void OutputLengthIsTheRatioRoundedHalfUp(int inputRate, int outputRate, int inputFrames, int outputFrames)
    {
        Assert.Equal(outputFrames, SampleRateConverter.OutputFrameCount(inputFrames, inputRate, outputRate));
        Assert.Equal(outputFrames, SampleRateConverter.Resample(new float[inputFrames], inputRate, outputRate).Length);
    }

    [Fact]
    public void SameRateIsTheIdentity()
    {
        var input = Signals.Sweep(3000, 20, 20000, 44100);
        Assert.Equal(input, SampleRateConverter.Resample(input, 44100, 44100));
    }

    [Fact]
    public void OutputWaitsForLookaheadThenFollowsTheInput()
    {
        var converter = new SampleRateConverter(32000, 48000, 1);
        converter.Push(new float[converter.LookaheadInputFrames]);
        Assert.Equal(0, converter.AvailableFrames);
        converter.Push(new float[1]);
        Assert.Equal(2, converter.AvailableFrames); // outputs 0 and 1 (instants 0 and 2/3) need inputs 0 to K/2
        converter.Push(new float[2]);
        Assert.Equal(5, converter.AvailableFrames); // instants 0, 2/3, 4/3, 2, 8/3 need inputs up to 2 + K/2
    }

    [Fact]
    public void ImpulseLandsAtTheSameInstant()
    {
        // An impulse at input sample 320 (10 ms at 32 kHz) peaks at output sample 480 (10 ms at 48 kHz).
        var input = new float[2000];
        input[320] = 1;
        var result = SampleRateConverter.Resample(input, 32000, 48000);
        var peak = 0;
        for (var n = 1; n < result.Length; n++)
            if (result[n] > result[peak]) peak = n;
        Assert.Equal(480, peak);
    }

    [Fact]
    public void MisuseIsRefused()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new SampleRateConverter(0, 48000, 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => new SampleRateConverter(32000, -1, 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => new SampleRateConverter(32000, 48000, 0));
        var converter = new SampleRateConverter(32000, 48000, 2);
        Assert.Throws<ArgumentException>(() => converter.Push(new float[3]));
        converter.Complete();
        Assert.Throws<InvalidOperationException>(() => converter.Push(new float[2]));
        converter.Reset();
        converter.Push(new float[2]);
        // A ratio whose polyphase table would be absurdly large is refused, not built.
        Assert.Throws<NotSupportedException>(() => new SampleRateConverter(44100, 48001, 1));
    }
}
