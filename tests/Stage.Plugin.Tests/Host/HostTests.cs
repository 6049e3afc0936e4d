using Stage.Plugin.TestEngine;
using Stage.Shared.Music;
using static Stage.Plugin.Tests.Host.Vst3Module;

namespace Stage.Plugin.Tests.Host;

[CollectionDefinition("Host", DisableParallelization = true)]
public class HostCollection : ICollectionFixture<HostCleanup> { }

/// <summary>
/// Stage's published NativeAOT binary driven through its exported entry points, vtables and structs, as a
/// DAW drives it. The engine, when a test wants one, is the test engine started by the plugin itself
/// through STAGE_ENGINE.
/// </summary>
/// <summary>Stops every test engine and removes the test folder when the host tests are done.</summary>
public sealed class HostCleanup : IDisposable
{
    public void Dispose()
    {
        HostEnvironment.KillEngines();
        try { Directory.Delete(HostEnvironment.Root, recursive: true); } catch (IOException) { }
        File.Delete(Path.Combine(Path.GetTempPath(), "CoreFxPipe_" + HostEnvironment.PipeName));   // left by killed engines
    }
}

[Collection("Host")]
public unsafe class HostTests : IDisposable
{
    public void Dispose() => HostEnvironment.KillEngines();

    const double Rate = 48000;
    const int StatusSteps = 7;
    static double StatusValue(int kind) => kind / (double)StatusSteps;
    const int Generating = 2, StemReady = 3, NeedsCapture = 4, EngineMissing = 5, EngineLost = 6;

    static float Signal(long sample, int channel) => (float)((sample % 7919) / 7919.0 - 0.5) * (channel == 0 ? 0.6f : -0.4f);

    /// <summary>Plays host samples [from, to) with the test signal in random blocks; asserts output == input.</summary>
    static void Play(HostedStage stage, long from, long to, int seed, double tempo = 120, int num = 4, int den = 4, int maxBlock = 2048)
    {
        var random = new Random(seed);
        for (long at = from; at < to;)
        {
            int n = (int)Math.Min(to - at, random.Next(1, maxBlock + 1));
            var l = new float[n];
            var r = new float[n];
            for (int i = 0; i < n; i++) { l[i] = Signal(at + i, 0); r[i] = Signal(at + i, 1); }
            var (outL, outR) = stage.Process(l, r, new HostTransport(at, tempo, num, den));
            Assert.Equal(l, outL);
            Assert.Equal(r, outR);
            at += n;
        }
    }

    /// <summary>Processes stopped blocks (as hosts do) until the controller's Status reaches one of the kinds.</summary>
    static int WaitForStatus(HostedStage stage, TimeSpan timeout, params int[] kinds) => WaitForStatus(stage, null, timeout, kinds);

    /// <summary>As above, and the status sentence must differ from <paramref name="previous"/> (a new event).</summary>
    static int WaitForStatus(HostedStage stage, string? previous, TimeSpan timeout, params int[] kinds)
    {
        var deadline = DateTime.UtcNow + timeout;
        var silence = new float[256];
        int fadeOut = (int)Math.Round(0.005 * Rate);   // a stem playing before the stop fades out over 5 ms
        while (DateTime.UtcNow < deadline)
        {
            var (outL, _) = stage.Process(silence, silence, new HostTransport(0, Playing: false));
            Assert.All(outL[fadeOut..], v => Assert.Equal(0f, v));
            fadeOut = 0;
            int kind = (int)Math.Round(stage.ParamNormalized(HostedStage.Status) * StatusSteps);
            if (kinds.Contains(kind) && (previous == null || stage.StatusText != previous)) return kind;
            Thread.Sleep(10);
        }
        Assert.Fail($"Status did not reach {string.Join("/", kinds)} within {timeout.TotalSeconds} s; it says: {stage.StatusText}");
        return -1;
    }

    static void PressGenerate(HostedStage stage, int barsChoice)
    {
        stage.Automate(HostedStage.Bars, barsChoice / 4.0);
        stage.Automate(HostedStage.Generate, 1);
        var silence = new float[64];
        stage.Process(silence, silence, new HostTransport(0, Playing: false));
        Assert.Equal(0.0, stage.Reported(HostedStage.Generate));   // momentary: the processor resets it
    }

    [Fact]
    public void Factory_lists_the_processor_and_its_controller()
    {
        var f = Factory;
        PFactoryInfo info;
        Assert.Equal(TResult.Ok, ((delegate* unmanaged<void*, PFactoryInfo*, int>)V(f)[3])(f, &info));
        Assert.Equal("Stage", Text.Ascii(info.Vendor, 64));
        Assert.Equal(2, ((delegate* unmanaged<void*, int>)V(f)[4])(f));

        PClassInfo c0, c1;
        Assert.Equal(TResult.Ok, ((delegate* unmanaged<void*, int, PClassInfo*, int>)V(f)[5])(f, 0, &c0));
        Assert.Equal(TResult.Ok, ((delegate* unmanaged<void*, int, PClassInfo*, int>)V(f)[5])(f, 1, &c1));
        Assert.Equal("Audio Module Class", Text.Ascii(c0.Category, 32));
        Assert.Equal("Stage", Text.Ascii(c0.Name, 64));
        Assert.Equal(HostedStage.ProcessorClassId, new ReadOnlySpan<byte>(c0.Cid, 16).ToArray());
        Assert.Equal("Component Controller Class", Text.Ascii(c1.Category, 32));
        Assert.Equal(TResult.InvalidArgument, ((delegate* unmanaged<void*, int, PClassInfo*, int>)V(f)[5])(f, 2, &c1));

        var f3 = QueryInterface(f, Iid.IPluginFactory3);
        Assert.True(f3 != null);
        PClassInfo2 c2;
        Assert.Equal(TResult.Ok, ((delegate* unmanaged<void*, int, PClassInfo2*, int>)V(f3)[7])(f3, 0, &c2));
        Assert.Equal("VST 3.7.14", Text.Ascii(c2.SdkVersion, 64));
        Assert.Equal("Fx|Generator", Text.Ascii(c2.SubCategories, 128));
        Release(f3);

        Assert.True(QueryInterface(f, Convert.FromHexString("00112233445566778899AABBCCDDEEFF")) == null);
        fixed (byte* bad = new byte[16])
        fixed (byte* iid = Iid.IComponent)
        {
            void* obj = (void*)1;
            Assert.Equal(TResult.NoInterface, ((delegate* unmanaged<void*, byte*, byte*, void**, int>)V(f)[6])(f, bad, iid, &obj));
            Assert.True(obj == null);
        }
    }

    [Fact]
    public void Scan_like_instantiation_describes_buses_and_parameters_and_tears_down_to_zero_references()
    {
        var stage = new HostedStage();
        var c = stage.Component;
        Assert.Equal(2, ((delegate* unmanaged<void*, int, int, int>)V(c)[7])(c, 0, 0));   // audio inputs
        Assert.Equal(1, ((delegate* unmanaged<void*, int, int, int>)V(c)[7])(c, 0, 1));   // audio outputs
        Assert.Equal(0, ((delegate* unmanaged<void*, int, int, int>)V(c)[7])(c, 1, 0));   // no event buses
        BusInfo bus;
        Assert.Equal(TResult.Ok, ((delegate* unmanaged<void*, int, int, int, BusInfo*, int>)V(c)[8])(c, 0, 0, 1, &bus));
        Assert.Equal("Sidechain", Text.Utf16(bus.Name, 128));
        Assert.Equal(1, bus.BusType);   // kAux
        Assert.Equal(2, bus.ChannelCount);
        Assert.Equal(TResult.Ok, ((delegate* unmanaged<void*, int, int>)V(stage.Processor)[5])(stage.Processor, 0));
        Assert.Equal(TResult.False, ((delegate* unmanaged<void*, int, int>)V(stage.Processor)[5])(stage.Processor, 1));
        Assert.Equal(0u, ((delegate* unmanaged<void*, uint>)V(stage.Processor)[6])(stage.Processor));   // no latency
        var req = QueryInterface(c, Iid.IProcessContextRequirements);
        uint flags = ((delegate* unmanaged<void*, uint>)V(req)[3])(req);
        Assert.Equal((1u << 2) | (1u << 6) | (1u << 7) | (1u << 10), flags);
        Release(req);

        string[] titles = ["Instrument", "Context", "Bars", "Generate", "Variation", "Variations", "Temperature", "Top-K", "Guidance",
                           "Seed", "Stem level", "Input level", "Capture", "Loop", "Status", "Open control room"];
        Assert.Equal(titles.Length, stage.ParameterCount);
        for (int i = 0; i < titles.Length; i++)
        {
            var p = stage.ParameterInfo(i);
            Assert.Equal((uint)i, p.Id);
            Assert.Equal(titles[i], Text.Utf16(p.Title, 128));
            Assert.Equal(i == 14 ? 2 : 1, p.Flags & 3);   // Status read-only, the rest automatable
        }

        var (component, controller) = stage.Close();
        Assert.Equal(0u, component);
        Assert.Equal(0u, controller);
    }

    [Fact]
    public void Audio_is_transparent_through_pre_roll_random_blocks_tempo_and_meter_changes_and_missing_context()
    {
        using var stage = new HostedStage(maxBlock: 4096);
        Play(stage, -1776, 150_000, seed: 21, maxBlock: 4096);
        Play(stage, 150_000, 300_000, seed: 22, tempo: 97.5, num: 3, den: 4, maxBlock: 4096);
        Play(stage, 10_000, 60_000, seed: 23, tempo: 140, num: 7, den: 8, maxBlock: 4096);   // locate back
        var l = new float[] { 0.5f, -0.25f };
        var (outL, _) = stage.Process(l, l, transport: null);
        Assert.Equal(l, outL);
    }

    [Theory]
    [InlineData(1e-300, 48_000)]                   // a tempo with no bar length in samples
    [InlineData(120.0, long.MaxValue / 4)]          // a position past what a double holds to the sample
    public void Absurd_host_transport_values_leave_the_audio_transparent(double tempo, long sample)
    {
        using var stage = new HostedStage();
        var block = Enumerable.Range(0, 256).Select(i => MathF.Sin(i * 0.1f) * 0.5f).ToArray();
        var (outL, outR) = stage.Process(block, block, new HostTransport(sample, Tempo: tempo));
        Assert.Equal(block, outL);
        Assert.Equal(block, outR);
    }

    [Fact]
    public void A_block_larger_than_setup_promised_still_passes_the_input_through()
    {
        using var stage = new HostedStage(maxBlock: 512);
        var block = Enumerable.Range(0, 10_000).Select(i => MathF.Sin(i * 0.01f) * 0.5f).ToArray();   // past the 8192-sample buffers too
        var (outL, outR) = stage.Process(block, block, new HostTransport(0));
        Assert.Equal(block, outL);
        Assert.Equal(block, outR);
    }

    [Fact]
    public void Automation_reaches_the_processor_and_the_controller_shows_readable_values()
    {
        using var stage = new HostedStage();
        Assert.Equal("Drums", stage.ParamString(HostedStage.Instrument, 0));
        Assert.Equal("Bass", stage.ParamString(HostedStage.Instrument, 1));
        Assert.Equal("8 bars", stage.ParamString(HostedStage.Bars, 0.75));
        Assert.Equal("-6.0 dB", stage.ParamString(HostedStage.StemLevel, stage.ToNormalized(HostedStage.StemLevel, -6)));
        Assert.Equal(-6, stage.ToPlain(HostedStage.StemLevel, stage.ToNormalized(HostedStage.StemLevel, -6)), 9);
        Assert.Equal(1.0, stage.ParamValueByString(HostedStage.Instrument, "Bass"));
        Assert.Null(stage.ParamValueByString(HostedStage.Instrument, "Tuba"));
        Assert.StartsWith("Ready", stage.ParamString(HostedStage.Status, 0));

        // Automation is sample accurate: Input level to −60 dB (silence) at offset 10, back to 0 dB at 15.
        stage.Automate(11, 0.0, offset: 10);
        stage.Input.Add(11, 15, stage.ToNormalized(11, 0));
        var block = Enumerable.Repeat(0.5f, 20).ToArray();
        var (outL, outR) = stage.Process(block, block, new HostTransport(0));
        float[] expected = [.. Enumerable.Repeat(0.5f, 10), .. Enumerable.Repeat(0f, 5), .. Enumerable.Repeat(0.5f, 5)];
        Assert.Equal(expected, outL);
        Assert.Equal(expected, outR);
    }

    [Fact]
    public void State_round_trips_between_instances_and_reaches_the_new_controller()
    {
        byte[] saved;
        using (var first = new HostedStage())
        {
            first.Automate(HostedStage.Instrument, 1);
            first.Automate(HostedStage.Bars, 1.0);
            first.Automate(HostedStage.Loop, 0);
            first.Automate(9, first.ToNormalized(9, 4242));
            first.Process([0f], [0f], new HostTransport(0));
            saved = first.GetState();
        }
        using var second = new HostedStage();
        Assert.Equal(TResult.Ok, second.SetState(saved));
        Assert.Equal(saved, second.GetState());
        Assert.Equal(1.0, second.ParamNormalized(HostedStage.Instrument));
        Assert.Equal("16 bars", second.ParamString(HostedStage.Bars, second.ParamNormalized(HostedStage.Bars)));
        Assert.Equal("4242", second.ParamString(9, second.ParamNormalized(9)));
        Assert.Equal(0.0, second.ParamNormalized(HostedStage.Loop));
        Assert.Equal(TResult.False, second.SetState("not a state"u8.ToArray()));
    }

    [Fact]
    public void Generate_before_anything_was_captured_says_what_to_do()
    {
        HostEnvironment.RemoveEngine();
        using var stage = new HostedStage();
        PressGenerate(stage, 2);
        WaitForStatus(stage, TimeSpan.FromSeconds(10), NeedsCapture);
        Assert.Contains("arm Capture and play", stage.StatusText);
    }

    [Fact]
    public void Without_an_engine_the_status_says_where_it_looked_and_audio_stays_transparent()
    {
        HostEnvironment.RemoveEngine();
        using var stage = new HostedStage();
        Play(stage, -3000, 96_000 * 3 + 100, seed: 31);
        PressGenerate(stage, 1);   // 2 bars
        WaitForStatus(stage, TimeSpan.FromSeconds(20), EngineMissing);
        Assert.Contains(HostEnvironment.EngineLauncher, stage.StatusText);
        Assert.Equal(StatusValue(EngineMissing), stage.ParamNormalized(HostedStage.Status), 9);
        Play(stage, 0, 96_000, seed: 32);
    }

    [Fact]
    public void The_engine_is_started_the_stem_plays_at_the_captured_bars_and_reloads_after_reopening()
    {
        HostEnvironment.RemoveEngine();
        HostEnvironment.InstallTestEngine(chunkMilliseconds: 0);
        const double tempo = 131;
        var grid = new BarGrid(tempo, 3, 4, Rate);
        byte[] saved;
        long regionStart;
        using (var stage = new HostedStage())
        {
            long end = (long)(grid.SamplesPerBar * 5.5);
            Play(stage, -1000, end, seed: 41, tempo: tempo, num: 3, den: 4);
            PressGenerate(stage, 1);   // 2 bars: bars 3 and 4 (0-based), the last whole ones before 5.5
            WaitForStatus(stage, TimeSpan.FromSeconds(60), StemReady);
            Assert.Contains(".wav", stage.StatusText);

            regionStart = BarGrid.RoundToSample(grid.QuarterNotesToSamples(grid.BarStartQuarterNotes(3)));
            long length = grid.BarsToSampleCount(2);
            var context = File.ReadAllBytes(Path.Combine(HostEnvironment.Control, "context.f32"));
            var sent = System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(context);
            Assert.Equal(length * 2, sent.Length);
            for (long i = 0; i < length; i += 997)
            {
                Assert.Equal(Signal(regionStart + i, 0), sent[(int)(2 * i)]);
                Assert.Equal(Signal(regionStart + i, 1), sent[(int)(2 * i + 1)]);
            }

            AssertStemPlays(stage, grid, regionStart, length, seed: 42);
            saved = stage.GetState();
        }

        using (var again = new HostedStage())
        {
            // An engine that dies while idle is restarted by the next Generate, which then succeeds.
            Play(again, -1000, (long)(grid.SamplesPerBar * 5.5), seed: 44, tempo: tempo, num: 3, den: 4);
            PressGenerate(again, 1);
            WaitForStatus(again, TimeSpan.FromSeconds(60), StemReady);
            int engines = HostEnvironment.EnginePids().Length;
            HostEnvironment.KillEngines();
            string before = again.StatusText;
            PressGenerate(again, 1);
            WaitForStatus(again, before, TimeSpan.FromSeconds(60), StemReady);
            Assert.Equal(engines + 1, HostEnvironment.EnginePids().Length);
        }

        using (var reopened = new HostedStage())
        {
            Assert.Equal(TResult.Ok, reopened.SetState(saved));
            WaitForStatus(reopened, TimeSpan.FromSeconds(20), StemReady);
            AssertStemPlays(reopened, grid, regionStart, grid.BarsToSampleCount(2), seed: 43);
        }

        // Reopened at 44.1 kHz: the stem is converted and still sits on its bars.
        using var converted = new HostedStage(sampleRate: 44100);
        Assert.Equal(TResult.Ok, converted.SetState(saved));
        WaitForStatus(converted, TimeSpan.FromSeconds(20), StemReady);
        var slow = new BarGrid(tempo, 3, 4, 44100);
        long slowStart = BarGrid.RoundToSample(slow.QuarterNotesToSamples(slow.BarStartQuarterNotes(3)));
        long slowLength = slow.BarsToSampleCount(2);
        converted.Automate(HostedStage.Loop, 0);
        var l = new float[(int)slowLength + 2000];
        for (int at = 0; at < l.Length; at += 2048)
        {
            var quiet = new float[Math.Min(2048, l.Length - at)];
            converted.Process(quiet, quiet, new HostTransport(slowStart - 1000 + at, tempo, 3, 4, SampleRate: 44100)).L.CopyTo(l, at);
        }
        Assert.All(l[..990], v => Assert.Equal(0f, v));
        Assert.All(l[(int)(slowLength + 1010)..], v => Assert.Equal(0f, v));
        // KnownStem is a sawtooth: away from its jumps the converted stem follows it closely.
        for (long i = 2000; i < slowLength - 2000; i += 511)
        {
            long frame48 = (long)Math.Round(i * 48000.0 / 44100);
            if (frame48 % 4801 is < 100 or > 4700) continue;
            Assert.True(Math.Abs(KnownStem.Sample(0, frame48, 0) - l[1000 + i]) < 0.02,
                $"at {i} of {slowLength}: expected {KnownStem.Sample(0, frame48, 0)}, got {l[1000 + i]}; nonzero {l.Count(v => v != 0)}; {converted.StatusText}");
        }
    }

    [Fact]
    public void An_active_sidechain_is_what_gets_captured_while_the_main_input_passes_through()
    {
        HostEnvironment.RemoveEngine();
        HostEnvironment.InstallTestEngine(chunkMilliseconds: 0);
        using var stage = new HostedStage();
        stage.ActivateSidechain(true);
        var random = new Random(61);
        for (long at = 0; at < 96_000 * 2 + 50;)
        {
            int n = (int)Math.Min(96_000 * 2 + 50 - at, random.Next(1, 2048));
            var main = Enumerable.Repeat(0.125f, n).ToArray();
            var sideL = new float[n];
            var sideR = new float[n];
            for (int i = 0; i < n; i++) { sideL[i] = Signal(at + i, 0); sideR[i] = Signal(at + i, 1); }
            var (l, r) = stage.Process(main, main, sideL, sideR, new HostTransport(at));
            Assert.Equal(main, l);
            Assert.Equal(main, r);
            at += n;
        }
        PressGenerate(stage, 0);   // 1 bar: bar 1
        WaitForStatus(stage, TimeSpan.FromSeconds(60), StemReady);
        var sent = System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(File.ReadAllBytes(Path.Combine(HostEnvironment.Control, "context.f32")));
        Assert.Equal(96_000 * 2, sent.Length);
        for (int i = 0; i < 96_000; i += 331)
        {
            Assert.Equal(Signal(96_000 + i, 0), sent[2 * i]);
            Assert.Equal(Signal(96_000 + i, 1), sent[2 * i + 1]);
        }
    }

    /// <summary>With silent input and Loop off, the output is the known stem at the region, silence elsewhere.</summary>
    static void AssertStemPlays(HostedStage stage, BarGrid grid, long regionStart, long length, int seed)
    {
        stage.Automate(HostedStage.Loop, 0);
        var random = new Random(seed);
        for (long at = regionStart - 3000; at < regionStart + length + 3000;)
        {
            int n = random.Next(1, 1500);
            var silence = new float[n];
            var (l, r) = stage.Process(silence, silence, new HostTransport(at, grid.Tempo.BeatsPerMinute, grid.Meter.Numerator, grid.Meter.Denominator));
            for (int i = 0; i < n; i++)
            {
                long offset = at + i - regionStart;
                bool inside = offset >= 0 && offset < length;
                float el = inside ? KnownStem.Sample(0, offset, 0) : 0f, er = inside ? KnownStem.Sample(0, offset, 1) : 0f;
                if (l[i] != el || r[i] != er) Assert.Fail($"host sample {at + i}: expected {el}/{er}, got {l[i]}/{r[i]}");
            }
            at += n;
        }
    }

    [Fact]
    public void An_engine_killed_mid_stream_leaves_clean_audio_and_the_next_generate_restarts_it()
    {
        HostEnvironment.RemoveEngine();
        HostEnvironment.InstallTestEngine(chunkMilliseconds: 100);
        var grid = new BarGrid(120, 4, 4, Rate);
        using var stage = new HostedStage();
        Play(stage, 0, 96_000 * 4 + 10, seed: 51);
        PressGenerate(stage, 2);   // 4 bars = 80 chunks × 100 ms
        WaitForStatus(stage, TimeSpan.FromSeconds(60), Generating);
        // Kill it once the first chunks are audible at the region's start.
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        var probe = new float[512];
        while (stage.Process(probe, probe, new HostTransport(0)).L.All(v => v == 0f))
        {
            Assert.True(DateTime.UtcNow < deadline, "no stem audio arrived within 30 s");
            Thread.Sleep(20);
        }
        int[] pids = HostEnvironment.EnginePids();
        Assert.NotEmpty(pids);
        HostEnvironment.KillEngines();
        WaitForStatus(stage, TimeSpan.FromSeconds(20), EngineLost);
        Assert.Contains("press Generate to retry", stage.StatusText);

        // What arrived plays; the rest is silence, never garbage.
        stage.Automate(HostedStage.Loop, 0);
        var silence = new float[4096];
        int nonZero = 0;
        for (long at = 0; at < 96_000 * 4; at += 4096)
        {
            var (l, _) = stage.Process(silence, silence, new HostTransport(at));
            for (int i = 0; i < l.Length; i++)
            {
                float expected = KnownStem.Sample(0, at + i, 0);
                Assert.True(l[i] == 0f || l[i] == expected, $"sample {at + i}: {l[i]} is neither silence nor the stem");
                if (l[i] != 0f) nonZero++;
            }
        }
        Assert.InRange(nonZero, 1, 96_000 * 4 - 4801);

        HostEnvironment.SetChunkDelay(0);
        stage.Automate(HostedStage.StemLevel, 0);   // −60 dB: the partial stem is muted, the input passes unchanged
        Play(stage, 0, 96_000 * 4 + 10, seed: 52);
        PressGenerate(stage, 2);
        WaitForStatus(stage, TimeSpan.FromSeconds(60), StemReady);
        Assert.True(HostEnvironment.EnginePids().Length > pids.Length, "the plugin should have started a new engine");
        HostEnvironment.KillEngines();
    }
}
