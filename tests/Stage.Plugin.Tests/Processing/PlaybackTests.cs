using Stage.Plugin.Processing;
using Stage.Shared.Music;

namespace Stage.Plugin.Tests.Processing;

public class PlaybackTests
{
    const double Rate = 48000;

    /// <summary>A 2-bar stem at bar 3 whose samples name their index: L = (i + 1) / 1e6, R = −L.</summary>
    static (StagePlugin Plugin, Stem Stem, BarGrid Grid) WithStem(double tempo = 140, int num = 3, int den = 4, int bars = 2, long firstBar = 3, bool complete = true)
    {
        var grid = new BarGrid(tempo, num, den, Rate);
        int length = (int)grid.BarsToSampleCount(bars);
        var stem = new Stem(1, length, grid.BarStartQuarterNotes(firstBar), grid.BarsToQuarterNotes(bars), Rate);
        var l = new float[length];
        var r = new float[length];
        for (int i = 0; i < length; i++) { l[i] = (i + 1) / 1e6f; r[i] = -l[i]; }
        if (complete) stem.Fill(0, l, r);
        var plugin = new StagePlugin();
        plugin.PublishStem(stem);
        return (plugin, stem, grid);
    }

    static float Expected(long hostSample, BarGrid grid, Stem stem, bool loop, int available)
    {
        long offset = BarGrid.RoundToSample((hostSample / grid.SamplesPerQuarterNote - stem.StartPpq) * grid.SamplesPerQuarterNote);
        if (loop)
        {
            double cycle = stem.LengthQuarters * grid.SamplesPerQuarterNote;
            long k = (long)Math.Floor(offset / cycle);
            while (BarGrid.RoundToSample(k * cycle) > offset) k--;
            while (BarGrid.RoundToSample((k + 1) * cycle) <= offset) k++;
            offset -= BarGrid.RoundToSample(k * cycle);
        }
        return offset >= 0 && offset < available ? (offset + 1) / 1e6f : 0f;
    }

    static void Check(StagePlugin plugin, Stem stem, BarGrid grid, long start, long end, int seed, bool loop, int available)
    {
        plugin.SetParameter(ParameterId.Loop, loop ? 1 : 0);
        foreach (var (at, n) in Blocks.Random(start, end, seed))
        {
            var silence = new float[n];
            var (outL, outR) = Blocks.Run(plugin, silence, silence, Blocks.At(at, Rate, grid.Tempo.BeatsPerMinute, grid.Meter.Numerator, grid.Meter.Denominator));
            for (int i = 0; i < n; i++)
            {
                float e = Expected(at + i, grid, stem, loop, available);
                if (outL[i] != e || outR[i] != -e)
                    Assert.Fail($"host sample {at + i} (block at {at}, +{i}): expected {e}, got {outL[i]} / {outR[i]}");
            }
        }
    }

    [Fact]
    public void Stem_plays_once_at_its_bar_sample_accurately_at_any_block_size()
    {
        var (plugin, stem, grid) = WithStem();
        long start = grid.QuarterNotesToSampleCount(stem.StartPpq);
        Check(plugin, stem, grid, -5000, start + stem.Length + 30_000, seed: 11, loop: false, available: stem.Length);
        // Started from a stop (no fade), the first sample lands exactly on the bar line.
        var (fresh, _, _) = WithStem();
        var (outL, _) = Blocks.Run(fresh, [0f], [0f], Blocks.At(start, Rate, 140, 3, 4));
        Assert.Equal(1e-6f, outL[0]);
    }

    [Fact]
    public void With_loop_on_the_stem_repeats_over_its_region_without_drift()
    {
        var (plugin, stem, grid) = WithStem(tempo: 133.7, num: 7, den: 8);
        long start = grid.QuarterNotesToSampleCount(stem.StartPpq);
        Check(plugin, stem, grid, start - 40_000, start + stem.Length * 9 + 777, seed: 12, loop: true, available: stem.Length);
    }

    [Fact]
    public void Audio_that_has_not_arrived_is_silence()
    {
        var (plugin, stem, grid) = WithStem(complete: false);
        int half = stem.Length / 2;
        var l = new float[half];
        var r = new float[half];
        for (int i = 0; i < half; i++) { l[i] = (i + 1) / 1e6f; r[i] = -l[i]; }
        stem.Write(0, 0, l, r);
        Assert.Equal(half, stem.Available(0));
        long start = grid.QuarterNotesToSampleCount(stem.StartPpq);
        Check(plugin, stem, grid, start - 1000, start + stem.Length + 1000, seed: 13, loop: false, available: half);
    }

    [Fact]
    public void Chunks_out_of_order_publish_only_the_contiguous_prefix()
    {
        var stem = new Stem(1, 100, 0, 4, Rate);
        stem.Write(0, 50, new float[50], new float[50]);
        Assert.Equal(0, stem.Available(0));
        stem.Write(0, 0, new float[30], new float[30]);
        Assert.Equal(30, stem.Available(0));
        stem.Write(0, 30, new float[20], new float[20]);
        Assert.Equal(100, stem.Available(0));
    }

    static readonly int Fade = (int)Math.Round(StemPlayer.FadeSeconds * Rate);

    /// <summary>Plays [at, at + n) in 64-sample blocks of silence; returns the left output.</summary>
    static float[] PlayLeft(StagePlugin plugin, long at, int n, bool playing = true)
    {
        var left = new float[n];
        for (int done = 0; done < n; done += 64)
        {
            int m = Math.Min(64, n - done);
            var silence = new float[m];
            Blocks.Run(plugin, silence, silence, Blocks.At(at + done, Rate, 120, 4, 4, playing)).L.CopyTo(left, done);
        }
        return left;
    }

    [Fact]
    public void A_locate_crossfades_over_5_ms_and_then_plays_bit_exact_from_the_new_position()
    {
        var (plugin, stem, grid) = WithStem(tempo: 120, num: 4, den: 4);
        plugin.SetParameter(ParameterId.Loop, 0);
        long start = grid.QuarterNotesToSampleCount(stem.StartPpq);
        PlayLeft(plugin, start + 1000, 2048);                        // heard up to stem sample 3048
        var after = PlayLeft(plugin, start + 50_000, 2048);          // located forward
        for (int i = 0; i < Fade; i++)
        {
            float outgoing = (3048 + i + 1) / 1e6f * (1f - (float)i / Fade);
            float incoming = (50_000 + i + 1) / 1e6f * ((float)i / Fade);
            Assert.Equal(outgoing + incoming, after[i], 1e-8f);
        }
        for (int i = Fade; i < after.Length; i++) Assert.Equal((50_000 + i + 1) / 1e6f, after[i]);   // exact once faded
    }

    [Fact]
    public void Stop_fades_out_over_5_ms_and_is_then_exact_silence()
    {
        var (plugin, stem, grid) = WithStem(tempo: 120, num: 4, den: 4);
        long start = grid.QuarterNotesToSampleCount(stem.StartPpq);
        PlayLeft(plugin, start + 1000, 2048);
        var stopped = PlayLeft(plugin, start + 3048, 2048, playing: false);
        for (int i = 0; i < Fade; i++) Assert.Equal((3048 + i + 1) / 1e6f * (1f - (float)i / Fade), stopped[i], 1e-8f);
        Assert.All(stopped[Fade..], v => Assert.Equal(0f, v));
        // Starting again from a stop is not faded: the stem starts on its sample.
        var again = PlayLeft(plugin, start + 100, 64);
        Assert.Equal(101 / 1e6f, again[0]);
    }

    [Fact]
    public void Stem_is_mixed_with_the_input_at_the_stem_level()
    {
        var (plugin, stem, grid) = WithStem(tempo: 120, num: 4, den: 4);
        plugin.SetParameter(ParameterId.StemLevel, StageParameters.Get(ParameterId.StemLevel).ToNormalized(-6));
        long at = grid.QuarterNotesToSampleCount(stem.StartPpq) + 10;
        var (outL, _) = Blocks.Run(plugin, [0.25f], [0.25f], Blocks.At(at));
        Assert.Equal(0.25 + 11e-6 * Math.Pow(10, -6 / 20.0), outL[0], 7);
    }

    [Fact]
    public void Variation_selects_which_candidate_plays()
    {
        var stem = new Stem(2, 1000, 0, 4, Rate);
        stem.Fill(0, Enumerable.Repeat(0.1f, 1000).ToArray(), new float[1000]);
        stem.Fill(1, Enumerable.Repeat(0.2f, 1000).ToArray(), new float[1000]);
        var plugin = new StagePlugin();
        plugin.PublishStem(stem);
        Assert.Equal(0.1f, Blocks.Run(plugin, [0f], [0f], Blocks.At(0)).L[0]);
        plugin.SetParameter(ParameterId.Variation, StageParameters.Get(ParameterId.Variation).ToNormalized(2));
        // Switching crossfades: the first sample is still all variation 1, then variation 2 takes over.
        var (l, _) = Blocks.Run(plugin, new float[Fade + 10], new float[Fade + 10], Blocks.At(1));
        Assert.Equal(0.1f, l[0]);
        Assert.Equal(0.2f, l[Fade + 5]);
    }
}
