using Stage.Inference.Generation;

namespace Stage.Inference.Tests.Generation;

public class StreamingStemDecoderTests
{
    // A decode whose samples depend only on their own frame (no memory): pieces must then equal the whole decode
    // exactly, which checks the window arithmetic independently of EnCodec.
    internal static float[] LocalDecode(int[][] codes)
    {
        int frames = codes[0].Length;
        var audio = new float[frames * 640];
        for (int t = 0; t < frames; t++)
            for (int i = 0; i < 640; i++)
                audio[t * 640 + i] = codes[0][t] * 1000 + codes[3][t] + i * 1e-3f;
        return audio;
    }

    [Theory]
    [InlineData(12, 25, 50, 5, 10)]
    [InlineData(100, 25, 50, 5, 10)]
    [InlineData(101, 7, 3, 3, 7)]
    [InlineData(30, 1, 0, 0, 1)]
    [InlineData(64, 25, 50, 5, 1)]
    public void PiecesCoverTheStemInOrder(int total, int piece, int warmup, int lookahead, int firstPiece)
    {
        var decoder = new StreamingStemDecoder(LocalDecode, 4, total, piece, warmup, lookahead, firstPiece);
        var streamed = new List<float>();
        for (int t = 0; t < total; t++)
        {
            decoder.Add([t, 7, 8, t % 13]);
            while (decoder.TryDecodePiece(out var p))
            {
                Assert.Equal(streamed.Count, p.StartSample);
                // A non-final piece is emitted only once its look-ahead frames exist.
                if (decoder.EmittedFrames < total) Assert.True(decoder.Frames >= Math.Min(decoder.EmittedFrames + lookahead, total));
                streamed.AddRange(p.Samples);
            }
        }
        Assert.Equal(total, decoder.EmittedFrames);
        Assert.False(decoder.TryDecodePiece(out _));
        Assert.Equal(decoder.DecodeWhole(), streamed.ToArray());
    }

    [Fact]
    public void TooManyFramesIsABug()
    {
        var decoder = new StreamingStemDecoder(LocalDecode, 4, 1);
        decoder.Add([1, 2, 3, 4]);
        Assert.Throws<InvalidOperationException>(() => decoder.Add([1, 2, 3, 4]));
        Assert.Throws<ArgumentException>(() => new StreamingStemDecoder(LocalDecode, 4, 2).Add([1, 2]));
    }
}
