using Stage.Daw.Tests.Ardour;
using Stage.Shared.Audio;
using Xunit.Abstractions;

namespace Stage.Daw.Tests;

// Stage, as installed by installer/install.sh, in a real DAW: RawPlayer -> Stage -> RawRecorder.
[Collection(ArdourCollection.Name)]
public sealed class StageInArdourTests(ITestOutputHelper output)
{
    // Inserted with default parameters and no stem, Stage is transparent: output equals input sample
    // for sample with no latency — while capturing (armed by default), across a stop and a locate.
    [Fact]
    public void DefaultStageIsBitTransparent()
    {
        using var ardour = new ArdourSession([HelperPlugins.RawPlayer, InstalledStage.Instance.Bundle, HelperPlugins.RawRecorder], output.WriteLine);
        var plan = new SessionPlan(48000, bpm: 120);
        int frames = (int)plan.BarToSample(2.5);
        float[] input = StereoFile.TestSignal(frames, seed: 2);
        string inputFile = Path.Combine(ardour.WorkDirectory, "input.f32");
        StereoFile.Write(inputFile, input);
        long bar1 = plan.BarToSample(1);

        plan.Plugin("RawPlayer").Plugin("Stage").Plugin("RawRecorder")
            .Locate(0).RollUntil(frames + 4096).Stop()
            .Parameter("RawRecorder", "Take", 1)
            .Locate(bar1 + 1000).RollUntil(frames + 4096).Stop();

        var run = ardour.Run(plan, StageEnvironment(ardour, inputFile), r => [r.Take(0), r.Take(1)]);
        output.WriteLine(run.Output);

        float[] take0 = StereoFile.Read(run.Take(0));
        Assert.True(take0.Length / 2 >= frames + 4096, $"take 0 has {take0.Length / 2} frames");
        Assert.Equal(-1, StereoFile.FirstDifference(input, take0, 0, take0.Length / 2));
        float[] take1 = StereoFile.Read(run.Take(1));
        long firstWritten = StereoFile.FirstNonSilent(take1);
        Assert.InRange(firstWritten, bar1 + 1000 - 8192, bar1 + 1000);
        Assert.Equal(-1, StereoFile.FirstDifference(input, take1, firstWritten, take1.Length / 2));
    }

    // The whole loop in a real DAW: Stage captures a bar of the song while it plays, Generate is pressed
    // from the session (a parameter change during the roll), the engine streams a drum stem from the
    // tiny fixture model, and on the next pass Stage plays the stem on the captured bar and (Loop on)
    // on every bar after it. Recorded output minus the known input must equal the engine's stem WAV.
    [Fact]
    public async Task GeneratedStemPlaysBackOnTheCapturedBarOnTheNextPass()
    {
        using var ardour = new ArdourSession([HelperPlugins.RawPlayer, InstalledStage.Instance.Bundle, HelperPlugins.RawRecorder], output.WriteLine);
        var plan = new SessionPlan(48000, bpm: 120);   // a bar is exactly 96000 samples
        long bar = plan.BarToSample(1);
        int frames = (int)(3 * bar);
        float[] input = StereoFile.TestSignal(frames, seed: 3);
        string inputFile = Path.Combine(ardour.WorkDirectory, "input.f32");
        StereoFile.Write(inputFile, input);

        var environment = StageEnvironment(ardour, inputFile);
        string data = environment["XDG_DATA_HOME"]!;
        string stems = Path.Combine(data, "Stage", "stems");
        using var engine = new EngineServer(InstalledStage.Instance.Engine, environment["STAGE_PIPE"]!, data);
        // The producer types the prompt on the control room page once Stage's card shows up; the session waits for it.
        string marks = Directory.CreateDirectory(Path.Combine(ardour.WorkDirectory, "marks")).FullName;
        const string Prompt = "four on the floor, open hats";
        var promptSet = ControlRoomPage.SetPromptAsync(engine, Prompt, Path.Combine(marks, "prompt.ready"));

        plan.Plugin("RawPlayer").Plugin("Stage").Plugin("RawRecorder")
            .Parameter("Stage", "Bars", 0)            // "1 bar"
            .Parameter("Stage", "Seed", 7)
            .WaitForFileIn(marks, ".ready", seconds: 60)
            // Pass 1 (take 0): play bar 0 with Capture armed, press Generate early in bar 1, so the
            // last whole bar is bar 0 whatever cycle the press lands in.
            .Locate(0).RollUntil(bar + 4800)
            .Parameter("Stage", "Generate", 1).RollUntil(bar + 19200)
            .Parameter("Stage", "Generate", 0).RollUntil(bar + 24000).Stop()
            .WaitForParameter("Stage", "Status", StemReady, seconds: 90)   // the tiny model takes about a second
            .WaitForFileIn(stems, ".wav", seconds: 10)
            // Pass 2 (take 1): from the top again; the stem plays on bar 0 and, looping, on bar 1.
            .Parameter("RawRecorder", "Take", 1)
            .Locate(0).RollUntil(2 * bar + 4096).Stop();

        SessionRun run;
        try
        {
            run = ardour.Run(plan, environment, r => [r.Take(0), r.Take(1)]);
        }
        finally
        {
            output.WriteLine("engine:\n" + engine.Output);
            string pluginLog = Path.Combine(data, "Stage", "logs", "plugin.log");
            if (File.Exists(pluginLog)) output.WriteLine("plugin.log:\n" + File.ReadAllText(pluginLog));
        }
        output.WriteLine(run.Output);
        Assert.True(promptSet.IsCompletedSuccessfully, $"the prompt was not set through the page: {promptSet.Exception?.InnerException?.Message ?? "still waiting"}");

        // The prompt typed on the page went into the request that made the stem, and the card shows Ardour's track.
        var card = await ControlRoomPage.CardAsync(engine);
        Assert.Equal(Prompt, card.GetProperty("history")[0].GetProperty("prompt").GetString());
        Assert.Contains($"prompt \"{Prompt}\"", engine.Output);
        output.WriteLine($"the card's track: {card.GetProperty("info").GetProperty("trackName")}");
        Assert.False(string.IsNullOrEmpty(card.GetProperty("info").GetProperty("trackName").GetString()), "Ardour did not tell Stage its track's name (IInfoListener)");

        // Before the stem exists Stage is transparent, capture or not.
        float[] take0 = StereoFile.Read(run.Take(0));
        Assert.Equal(-1, StereoFile.FirstDifference(input, take0, 0, bar + 4800));

        string[] wavs = Directory.GetFiles(stems, "*.wav");
        Assert.Single(wavs);
        float[] stem = WavReader.ReadInterleaved(wavs[0], out var format);
        Assert.Equal(48000, format.SampleRate);
        Assert.Equal(2, format.ChannelCount);
        Assert.Equal(bar, format.FrameCount);
        float peak = stem.Max(Math.Abs);
        output.WriteLine($"stem {wavs[0]}: {format.FrameCount} frames, peak {peak}");
        Assert.True(peak > 1e-3f, $"the stem is silent (peak {peak}); comparing against it would prove nothing");

        // Recorded minus input: the stem on bar 0, and again on bar 1 (Loop is on by default).
        float[] take1 = StereoFile.Read(run.Take(1));
        var added = new float[2 * 2 * bar];
        for (long i = 0; i < added.Length; i++) added[i] = (i < take1.Length ? take1[i] : 0) - input[i];
        var expected = new float[added.Length];
        stem.CopyTo(expected, 0);
        stem.CopyTo(expected, stem.Length);
        // The stem plays from the streamed chunks, which differ from the WAV's one-piece decode by
        // less than 1e-6 (StreamingStemDecoder); an offset of even one sample would differ by far more.
        float worst = 0;
        for (long i = 0; i < added.Length; i++) worst = Math.Max(worst, Math.Abs(added[i] - expected[i]));
        output.WriteLine($"output - input vs stem WAV over bars 0-1: max |difference| {worst}");
        long mismatch = StereoFile.FirstDifference(expected, added, 0, 2 * bar, tolerance: 1e-5f);
        Assert.True(mismatch == -1, $"output - input differs from the stem at frame {mismatch}: " +
            (mismatch >= 0 ? $"expected {expected[2 * mismatch]}, got {added[2 * mismatch]}" : ""));
    }

    // Stage's read-only Status parameter: index of "Stem ready" in its list.
    private const double StemReady = 3;

    // Where Stage keeps its files during a test: a private data folder, a private pipe, the installed
    // engine. Nothing of the user's own Stage install is touched.
    private static Dictionary<string, string?> StageEnvironment(ArdourSession ardour, string inputFile) => new()
    {
        ["RAWPLAYER_FILE"] = inputFile,
        ["XDG_DATA_HOME"] = Path.Combine(ardour.WorkDirectory, "data"),
        ["STAGE_PIPE"] = "stage-daw-" + Path.GetFileName(ardour.WorkDirectory),
        ["STAGE_ENGINE"] = InstalledStage.Instance.Engine,
        ["STAGE_MODELS"] = null,
    };
}
