using Stage.Plugin.Processing;
using Stage.Shared.Music;

namespace Stage.Plugin.Tests.Processing;

public class CaptureTests
{
    /// <summary>Plays [start, end) of the host timeline through the plugin with random block sizes.</summary>
    static StagePlugin Play(long start, long end, double tempo, int numerator, int denominator, int seed, StagePlugin? plugin = null, bool sidechain = false)
    {
        plugin ??= new StagePlugin();
        foreach (var (at, n) in Blocks.Random(start, end, seed))
        {
            var l = new float[n];
            var r = new float[n];
            for (int i = 0; i < n; i++) { l[i] = Blocks.Signal(at + i); r[i] = -l[i]; }
            var silence = new float[n];
            if (sidechain) Blocks.Run(plugin, silence, silence, Blocks.At(at, 48000, tempo, numerator, denominator), l, r);
            else Blocks.Run(plugin, l, r, Blocks.At(at, 48000, tempo, numerator, denominator));
            plugin.ProvideCaptureBuffer();   // the engine link's thread does this between blocks
        }
        return plugin;
    }

    [Theory]
    [InlineData(120.0, 4, 4, 4)]
    [InlineData(140.0, 3, 4, 2)]
    [InlineData(97.3, 7, 8, 1)]
    [InlineData(60.0, 6, 8, 8)]
    public void Last_bars_are_bar_aligned_and_hold_exactly_what_was_played_there(double tempo, int num, int den, int bars)
    {
        var grid = new BarGrid(tempo, num, den, 48000);
        long preRoll = -2345;
        long end = (long)(grid.SamplesPerBar * (bars + 2.6));
        var plugin = Play(preRoll, end, tempo, num, den, seed: bars);

        var run = plugin.CaptureBuffer!.Run;
        var region = run.LastBars(bars, out long whole);
        Assert.NotNull(region);
        var r = region.Value;
        long expectedLastLine = (long)Math.Floor(end / grid.SamplesPerBar);
        Assert.Equal(expectedLastLine - bars, r.FirstBar);
        Assert.Equal(grid.BarStartQuarterNotes(r.FirstBar), r.StartPpq);
        Assert.Equal(BarGrid.RoundToSample(r.StartPpq * grid.SamplesPerQuarterNote), r.Start);
        Assert.Equal(grid.BarsToSampleCount(bars), r.Length);
        Assert.True(whole >= bars);

        var l = new float[r.Length];
        var rr = new float[r.Length];
        plugin.CaptureBuffer.CopyOut(r.Start, l, rr);
        for (int i = 0; i < r.Length; i++)
        {
            Assert.Equal(Blocks.Signal(r.Start + i), l[i]);
            Assert.Equal(-Blocks.Signal(r.Start + i), rr[i]);
        }
    }

    [Fact]
    public void Host_ppq_rounded_like_ardour_keeps_one_sample_exact_capture_run()
    {
        // Ardour 7 reports projectTimeMusic rounded to 1/1920 quarter note (12.5 samples here).
        const double tempo = 120;
        var grid = new BarGrid(tempo, 4, 4, 48000);
        var plugin = new StagePlugin();
        long end = (long)(grid.SamplesPerBar * 3.5);
        foreach (var (at, n) in Blocks.Random(0, end, seed: 11))
        {
            var l = new float[n];
            var r = new float[n];
            for (int i = 0; i < n; i++) { l[i] = Blocks.Signal(at + i); r[i] = -l[i]; }
            double rounded = Math.Round(at / 48000.0 * tempo / 60.0 * 1920) / 1920;
            var t = Transport.FromHost(true, 48000, at, ppqValid: true, ppq: rounded, tempoValid: true, tempo: tempo,
                                       meterValid: true, numerator: 4, denominator: 4);
            Assert.Equal(at, t.MusicalSample);
            Blocks.Run(plugin, l, r, t);
            plugin.ProvideCaptureBuffer();
        }
        var region = plugin.CaptureBuffer!.Run.LastBars(2, out long whole)!.Value;
        // One run from the first kept block: rounding jitter did not restart the capture.
        Assert.True(plugin.CaptureBuffer.Run.Start <= 1024, $"capture restarted at {plugin.CaptureBuffer.Run.Start}");
        Assert.Equal(2, whole);   // bars 1 and 2; bar 0 lost its first block, which is never kept
        Assert.Equal(1, region.FirstBar);
        var left = new float[region.Length];
        plugin.CaptureBuffer.CopyOut(region.Start, left, new float[region.Length]);
        for (int i = 0; i < region.Length; i++) Assert.Equal(Blocks.Signal(region.Start + i), left[i]);
    }

    [Fact]
    public void Host_ppq_far_from_the_constant_tempo_position_is_kept()
    {
        // After a tempo change earlier in the song, PPQ no longer follows samples at the current tempo.
        var t = Transport.FromHost(true, 48000, 480_000, ppqValid: true, ppq: 17.25, tempoValid: true, tempo: 120,
                                   meterValid: true, numerator: 4, denominator: 4);
        Assert.Equal(17.25, t.Ppq);
    }

    [Fact]
    public void A_region_counts_as_held_until_later_writes_could_reach_its_slots()
    {
        var grid = new BarGrid(120, 4, 4, 48000);
        var ring = new CaptureBuffer(1000);
        ring.Write(0, grid, new float[600], new float[600]);
        long then = ring.Written;
        Assert.True(ring.Holds(100, 600, then));
        ring.Write(600, grid, new float[400], new float[400]);   // slots 600..999: the region is untouched
        Assert.True(ring.Holds(100, 600, then));
        ring.Write(1000, grid, new float[200], new float[200]);  // wraps to slots 0..199, over the region's start
        Assert.False(ring.Holds(100, 600, then));
    }

    [Fact]
    public void A_locate_after_the_press_is_seen_even_when_it_writes_few_samples()
    {
        var grid = new BarGrid(120, 4, 4, 48000);
        var ring = new CaptureBuffer(1000);
        ring.Write(0, grid, new float[600], new float[600]);
        long runs = ring.Runs;
        ring.Write(600, grid, new float[64], new float[64]);     // the song plays on: the same run
        Assert.Equal(runs, ring.Runs);
        ring.Write(100, grid, new float[64], new float[64]);     // located back into the region: a second pass
        Assert.NotEqual(runs, ring.Runs);
        Assert.True(ring.Holds(100, 600, 600));                  // the write count alone would not have told
    }

    [Fact]
    public void A_generate_ticket_notes_the_run_count_at_the_press()
    {
        var plugin = Play(0, 48000 * 5, 120, 4, 4, seed: 5);
        plugin.SetParameter(ParameterId.Generate, 1);
        var silence = new float[64];
        plugin.Process(silence, silence, [], [], new float[64], new float[64],
            Transport.FromHost(true, 48000, 48000 * 5, true, 10, true, 120, true, 4, 4));
        Assert.True(plugin.GenerateRequests.TryRead(out var ticket));
        Assert.Equal(plugin.CaptureBuffer!.Runs, ticket.Runs);
        plugin.Process(silence, silence, [], [], new float[64], new float[64],
            Transport.FromHost(true, 48000, 0, true, 0, true, 120, true, 4, 4));   // located to the song's start
        Assert.NotEqual(plugin.CaptureBuffer!.Runs, ticket.Runs);
    }

    [Fact]
    public void Pre_roll_is_captured_at_negative_positions()
    {
        var plugin = Play(-48000 * 4, 48000 * 2, 120, 4, 4, seed: 3);
        var run = plugin.CaptureBuffer!.Run;
        // The ring is allocated off the audio thread after the first armed block, which is therefore not kept.
        Assert.True(run.Start > -48000 * 4 && run.Start <= -48000 * 4 + 1024, $"run {run.Start}..{run.End}");
        var region = run.LastBars(2, out _)!.Value;   // the run ends on the line of bar 1: bars -1 and 0
        Assert.Equal(-1, region.FirstBar);
        Assert.Equal(-96000, region.Start);
        var l = new float[region.Length];
        plugin.CaptureBuffer.CopyOut(region.Start, l, new float[region.Length]);
        Assert.Equal(Blocks.Signal(-96000), l[0]);
        Assert.Equal(Blocks.Signal(95999), l[^1]);
    }

    [Fact]
    public void Too_few_whole_bars_gives_no_region_and_says_how_many_there_are()
    {
        var plugin = Play(10_000, 96_000 * 3 + 500, 120, 4, 4, seed: 4);   // bars 1 and 2 whole (bar 0 started late)
        Assert.Null(plugin.CaptureBuffer!.Run.LastBars(4, out long whole));
        Assert.Equal(2, whole);
    }

    [Fact]
    public void A_locate_starts_a_new_run()
    {
        var plugin = Play(0, 96_000 * 5, 120, 4, 4, seed: 5);
        plugin = Play(96_000 * 20, 96_000 * 21 + 10, 120, 4, 4, seed: 6, plugin);
        var run = plugin.CaptureBuffer!.Run;
        Assert.Equal(96_000 * 20, run.Start);
        Assert.Null(run.LastBars(2, out long whole));
        Assert.Equal(1, whole);
    }

    [Fact]
    public void A_tempo_change_starts_a_new_run()
    {
        var plugin = Play(0, 96_000 * 3, 120, 4, 4, seed: 7);
        plugin = Play(96_000 * 3, 96_000 * 4, 121, 4, 4, seed: 8, plugin);
        Assert.Equal(121, plugin.CaptureBuffer!.Run.Grid.Tempo.BeatsPerMinute);
    }

    [Fact]
    public void Sidechain_is_captured_instead_of_the_main_input()
    {
        var plugin = Play(0, 96_000 * 2 + 1, 120, 4, 4, seed: 9, sidechain: true);
        var region = plugin.CaptureBuffer!.Run.LastBars(1, out _)!.Value;
        var l = new float[region.Length];
        plugin.CaptureBuffer.CopyOut(region.Start, l, new float[region.Length]);
        Assert.Equal(Blocks.Signal(region.Start + 100), l[100]);
    }

    [Fact]
    public void Nothing_is_captured_while_stopped_or_disarmed()
    {
        var plugin = new StagePlugin();
        Blocks.Run(plugin, [1f], [1f], Blocks.At(0, playing: false));
        Assert.False(plugin.ProvideCaptureBuffer());
        plugin.SetParameter(ParameterId.Capture, 0);
        Blocks.Run(plugin, [1f], [1f], Blocks.At(0));
        Assert.False(plugin.ProvideCaptureBuffer());
    }
}
