using Stage.Inference.Checkpoints;
using Stage.Inference.Generation;
using Stage.Inference.Models.EnCodec;
using Xunit.Abstractions;

namespace Stage.Inference.Tests.Generation;

/// <summary>How far the streamed pieces of the real decoder are from a whole-sequence decode (tiny fixture EnCodec).</summary>
public class StreamingDecodeErrorTests(ITestOutputHelper output)
{
    static readonly Lazy<EncodecModel> s_codec = new(() => EncodecModel.Load(ModelFolder.Open(GoldenTensors.FixtureFolder)));

    static float[] Decode(int[][] codes) => s_codec.Value.Decode(CodeRows.ToMatrix(codes));

    (float Max, float Peak) Measure(int[][] codes, int piece, int warmup, int lookahead)
    {
        int frames = codes[0].Length;
        var decoder = new StreamingStemDecoder(Decode, 4, frames, piece, warmup, lookahead);
        var streamed = new List<float>();
        for (int t = 0; t < frames; t++)
        {
            decoder.Add([codes[0][t], codes[1][t], codes[2][t], codes[3][t]]);
            while (decoder.TryDecodePiece(out var p)) streamed.AddRange(p.Samples);
        }
        var whole = decoder.DecodeWhole();
        Assert.Equal(whole.Length, streamed.Count);
        float max = 0, peak = 0;
        for (int i = 0; i < whole.Length; i++)
        {
            max = Math.Max(max, Math.Abs(whole[i] - streamed[i]));
            peak = Math.Max(peak, Math.Abs(whole[i]));
        }
        output.WriteLine($"{frames} frames, piece {piece}, warm-up {warmup}, look-ahead {lookahead}: max |streamed − whole| = {max:E2} (peak {peak:0.###})");
        return (max, peak);
    }

    static int[][] RandomCodes(int frames, int seed)
    {
        var random = new Random(seed);
        var codes = new int[4][];
        for (int q = 0; q < 4; q++)
        {
            codes[q] = new int[frames];
            for (int t = 0; t < frames; t++) codes[q][t] = random.Next(2048);
        }
        return codes;
    }

    [Fact]
    public void DefaultWindowsStayCloseToTheWholeDecode()
    {
        var golden = GoldenTensors.Shared.Codes("encodec.codes");
        var (goldenError, _) = Measure(golden, StreamingStemDecoder.DefaultPieceFrames, StreamingStemDecoder.DefaultWarmupFrames, StreamingStemDecoder.DefaultLookaheadFrames);
        var (randomError, peak) = Measure(RandomCodes(300, 1), StreamingStemDecoder.DefaultPieceFrames, StreamingStemDecoder.DefaultWarmupFrames, StreamingStemDecoder.DefaultLookaheadFrames);
        Assert.True(goldenError <= 1e-4f, $"golden codes: {goldenError}");
        Assert.True(randomError <= 1e-4f * Math.Max(1, peak), $"random codes: {randomError}");
    }

    [Fact]
    public void ErrorShrinksWithWarmupAndLookahead()
    {
        var codes = RandomCodes(200, 2);
        var (none, _) = Measure(codes, 25, 0, 0);
        foreach (var (w, l) in new[] { (10, 3), (50, 3), (10, 5), (20, 5), (30, 5), (50, 4) }) Measure(codes, 25, w, l);
        var (defaults, _) = Measure(codes, 25, StreamingStemDecoder.DefaultWarmupFrames, StreamingStemDecoder.DefaultLookaheadFrames);
        Assert.True(none > defaults, $"no margins {none} vs defaults {defaults}");
    }
}
