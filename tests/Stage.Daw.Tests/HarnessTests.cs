using Stage.Daw.Tests.Ardour;
using Xunit.Abstractions;

namespace Stage.Daw.Tests;

// Proves the harness itself before anything of Stage is in the chain: what RawPlayer plays is what
// RawRecorder records, bit for bit, at the same timeline position, across pre-roll, stop and locate.
[Collection(ArdourCollection.Name)]
public sealed class HarnessTests(ITestOutputHelper output)
{
    // Ardour 7.3 pre-rolls up to two cycles (1776 + 752 samples at 1024-sample cycles were seen).
    private const long MaxPreRoll = 8192;

    [Fact]
    public void PlayerToRecorderIsBitExactAcrossRollStopAndLocate()
    {
        const int frames = 150000;
        using var ardour = new ArdourSession([HelperPlugins.RawPlayer, HelperPlugins.RawRecorder], output.WriteLine);
        float[] input = StereoFile.TestSignal(frames, seed: 1);
        string inputFile = Path.Combine(ardour.WorkDirectory, "input.f32");
        StereoFile.Write(inputFile, input);

        var plan = new SessionPlan(48000, bpm: 120);
        long bar1 = plan.BarToSample(1);
        plan.Plugin("RawPlayer").Plugin("RawRecorder")
            .Locate(0).RollUntil(frames + 4096).Stop()          // take 0: the whole file from a standing start
            .Parameter("RawRecorder", "Take", 1).WaitForParameter("RawRecorder", "Take", 1, seconds: 5)
            .Locate(bar1).RollUntil(frames + 4096).Stop();      // take 1: from a locate to bar 1

        var run = ardour.Run(plan, new Dictionary<string, string?> { ["RAWPLAYER_FILE"] = inputFile },
            r => [r.Take(0), r.Take(1)]);
        output.WriteLine(run.Output);

        float[] take0 = StereoFile.Read(run.Take(0));
        float[] take1 = StereoFile.Read(run.Take(1));
        Assert.True(take0.Length / 2 >= frames + 4096, $"take 0 has {take0.Length / 2} frames, the roll went past {frames + 4096}");
        Assert.Equal(-1, StereoFile.FirstDifference(input, take0, 0, take0.Length / 2));
        // Take 1 starts at the locate point less Ardour's pre-roll (rolling cycles with positions
        // before the locate point); before that the file was never written and reads as zeros.
        long firstWritten = StereoFile.FirstNonSilent(take1);
        output.WriteLine($"take 1: first written frame {firstWritten}, locate point {bar1}");
        Assert.InRange(firstWritten, bar1 - MaxPreRoll, bar1);
        Assert.Equal(-1, StereoFile.FirstDifference(input, take1, firstWritten, take1.Length / 2));
    }
}
