using Stage.Inference.Generation;
using Stage.Inference.Models.EnCodec;

namespace Stage.Inference.Tests.Generation;

public class StreamingStemDecoderTests
{
    [Theory]
    [InlineData(12, 25, 4, 10)]
    [InlineData(100, 25, 4, 10)]
    [InlineData(101, 7, 3, 7)]
    [InlineData(30, 1, 0, 1)]
    [InlineData(64, 25, 5, 1)]
    public void PiecesCoverTheStemInOrderOnceSettled(int total, int piece, int lookahead, int firstPiece)
    {
        var frames = new LocalFrames(total, lookahead);
        var decoder = new StreamingStemDecoder(frames, piece, firstPiece);
        var streamed = new List<float>();
        for (int t = 0; t < total; t++)
        {
            decoder.Add([t, 7, 8, t % 13]);
            while (decoder.TryDecodePiece(out var p))
            {
                Assert.Equal(streamed.Count, p.StartSample);
                int expected = p.StartSample == 0 ? firstPiece : piece;
                Assert.Equal(Math.Min(expected, total - (int)(p.StartSample / 640)) * 640, p.Samples.Length);
                // A non-final piece is cut only once its audio is settled.
                if (decoder.Frames < total) Assert.True(decoder.Frames >= decoder.EmittedFrames + lookahead);
                streamed.AddRange(p.Samples);
            }
        }
        Assert.Equal(total, decoder.EmittedFrames);
        Assert.False(decoder.TryDecodePiece(out _));
        for (int t = 0; t < total; t++) Assert.Equal(LocalFrames.Sample([t, 7, 8, t % 13], 5), streamed[t * 640 + 5]);
        Assert.Equal(decoder.Audio, streamed.ToArray());
    }

    [Fact]
    public void TheWholeStemIsThereOnlyOnceEveryFrameIsDecoded()
    {
        var decoder = new StreamingStemDecoder(new LocalFrames(30), pieceFrames: 25, firstPieceFrames: 10);
        for (int t = 0; t < 29; t++) decoder.Add([t, 1, 2, 3]);
        while (decoder.TryDecodePiece(out _)) { }
        Assert.Equal(10, decoder.EmittedFrames);   // the last piece, [10, 30), waits for frame 30
        var e = Assert.Throws<InvalidOperationException>(() => decoder.Audio);
        Assert.Contains("10 of 30", e.Message);
        decoder.Add([29, 1, 2, 3]);
        Assert.True(decoder.TryDecodePiece(out var last));
        Assert.Equal(10 * 640, last.StartSample);
        Assert.Equal(30 * 640, decoder.Audio.Length);
    }

    [Fact]
    public void TooManyFramesIsABug()
    {
        var decoder = new StreamingStemDecoder(new LocalFrames(1));
        decoder.Add([1, 2, 3, 4]);
        Assert.Throws<InvalidOperationException>(() => decoder.Add([1, 2, 3, 4]));
        Assert.Throws<ArgumentException>(() => new StreamingStemDecoder(new LocalFrames(2)).Add([1, 2]));
    }

    static readonly Lazy<EncodecModel> s_codec = new(() => EncodecModel.Load(Stage.Inference.Checkpoints.ModelFolder.Open(GoldenTensors.FixtureFolder)));

    [Theory]
    [InlineData(300, 1)]
    [InlineData(37, 2)]
    [InlineData(3, 3)]
    public void EnCodecPiecesAreTheWholeDecode(int total, int seed)
    {
        var codec = s_codec.Value;
        var random = new Random(seed);
        var codes = new CodeMatrix(4, total);
        for (int q = 0; q < 4; q++)
            for (int t = 0; t < total; t++) codes[q, t] = random.Next(2048);
        var decoder = new StreamingStemDecoder(codec.OpenDecodeStream(total));
        var streamed = new List<float>();
        for (int t = 0; t < total; t++)
        {
            decoder.Add([codes[0, t], codes[1, t], codes[2, t], codes[3, t]]);
            while (decoder.TryDecodePiece(out var p)) streamed.AddRange(p.Samples);
        }
        var whole = codec.Decode(codes);
        Assert.Equal(whole, streamed.ToArray());
        Assert.Equal(whole, decoder.Audio);
    }
}
