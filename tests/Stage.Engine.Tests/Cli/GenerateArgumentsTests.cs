using Stage.Engine.Cli;
using Stage.Engine.Jobs;
using Stage.Inference.Generation;

namespace Stage.Engine.Tests.Cli;

public class GenerateArgumentsTests
{
    [Fact]
    public void ParsesEveryOption()
    {
        var a = GenerateArguments.Parse([
            "--model", "m", "--out", "o.wav", "--context", "mix.wav", "--context-mode", "both", "--bpm", "97.5",
            "--meter", "6/8", "--click-offset", "0.25", "--bars", "4", "--prompt", "funky", "--seed", "18446744073709551615",
            "--top-k", "1", "--temperature", "0.7", "--guidance", "2.5", "--variations", "3", "--codes-out", "c.json",
            "--sample-rate", "48000", "--channels", "2"]);
        var r = a.Request;
        Assert.Equal(("m", "o.wav", "mix.wav", "c.json"), (r.ModelFolder, r.OutputPath, a.ContextPath, a.CodesPath));
        Assert.Equal(ContextMode.Both, r.ContextMode);
        Assert.Equal((97.5, 6, 8, 0.25), (r.Bpm, r.MeterNumerator, r.MeterDenominator, r.ClickOffsetSeconds));
        Assert.Equal(4, r.Bars);
        Assert.Null(r.Seconds);
        Assert.Equal(("funky", ulong.MaxValue, 1, 0.7f, 2.5f, 3), (r.Prompt, r.Seed, r.TopK, r.Temperature, r.Guidance, r.Variations));
        Assert.Equal((48000, 2), (r.SampleRate, r.Channels));
    }

    [Fact]
    public void WithoutModelTheInstalledModelOfTheInstrumentIsUsed()
    {
        Assert.Equal(Path.GetFullPath(Path.Combine("root", "bass")),
            GenerateArguments.Parse(["--instrument", "bass", "--models", "root", "--out", "o.wav", "--seconds", "2"]).Request.ModelFolder);
        Assert.Equal(Path.GetFullPath(Path.Combine("root", "drums")),
            GenerateArguments.Parse(["--models", "root", "--out", "o.wav", "--seconds", "2"]).Request.ModelFolder);   // drums by default
        Assert.Equal("m", GenerateArguments.Parse(["--model", "m", "--instrument", "bass", "--out", "o.wav", "--seconds", "2"]).Request.ModelFolder);
    }

    [Fact]
    public void DefaultsFollowTheReleasedModel()
    {
        var r = GenerateArguments.Parse(["--model", "m", "--out", "o.wav", "--seconds", "2"]).Request;
        Assert.Equal(ContextMode.Click, r.ContextMode); // no --context: the click is the only context there is
        Assert.Equal((120.0, 4, 4), (r.Bpm, r.MeterNumerator, r.MeterDenominator));
        Assert.Equal((42ul, 250, 1f, 3f, 1), (r.Seed, r.TopK, r.Temperature, r.Guidance, r.Variations));
        Assert.Equal((32000, 1), (r.SampleRate, r.Channels));
        Assert.Equal(ContextMode.Mixture,
            GenerateArguments.Parse(["--model", "m", "--out", "o.wav", "--seconds", "2", "--context", "x.wav"]).Request.ContextMode);
    }

    [Theory]
    [InlineData("exactly one of --bars N and --seconds S", "--model", "m", "--out", "o.wav")]
    [InlineData("exactly one of --bars N and --seconds S", "--model", "m", "--out", "o.wav", "--bars", "2", "--seconds", "1")]
    [InlineData("--instrument must be drums or bass", "--instrument", "guitar", "--out", "o.wav", "--bars", "2")]
    [InlineData("--out STEM.wav is required", "--model", "m", "--bars", "2")]
    [InlineData("not a meter", "--model", "m", "--out", "o.wav", "--bars", "2", "--meter", "four")]
    [InlineData("not a number", "--model", "m", "--out", "o.wav", "--bars", "2", "--bpm", "fast")]
    [InlineData("not one of mixture, click, both", "--model", "m", "--out", "o.wav", "--bars", "2", "--context-mode", "drums")]
    [InlineData("needs --context", "--model", "m", "--out", "o.wav", "--bars", "2", "--context-mode", "both")]
    [InlineData("unknown option", "--model", "m", "--out", "o.wav", "--bars", "2", "--tempo", "3")]
    [InlineData("needs a value", "--model", "m", "--out", "o.wav", "--bars")]
    [InlineData("--seed", "--model", "m", "--out", "o.wav", "--bars", "2", "--seed", "-1")]
    public void MalformedCommandLinesAreUsageErrors(string expected, params string[] args) =>
        Assert.Contains(expected, Assert.Throws<UsageException>(() => GenerateArguments.Parse(args)).Message);

    [Theory]
    [InlineData("tempo 0 BPM", "--bpm", "0")]
    [InlineData("tempo -120 BPM", "--bpm", "-120")]
    [InlineData("tempo 5000 BPM", "--bpm", "5000")]
    [InlineData("denominator", "--meter", "4/5")]
    [InlineData("numerator", "--meter", "0/4")]
    [InlineData("top-k 0", "--top-k", "0")]
    [InlineData("temperature", "--temperature", "0")]
    [InlineData("variations", "--variations", "0")]
    [InlineData("sample rate", "--sample-rate", "100")]
    [InlineData("output channels", "--channels", "3")]
    [InlineData("a stem is at least one bar long", "--bars", "0")]
    public void ImpossibleValuesAreInputErrors(string expected, string option, string value)
    {
        var args = new List<string> { "--model", "m", "--out", "o.wav" };
        if (option != "--bars") args.AddRange(["--bars", "2"]);
        args.AddRange([option, value]);
        var request = GenerateArguments.Parse(args.ToArray()).Request;
        Assert.Contains(expected, Assert.Throws<StemInputException>(request.Validate).Message);
    }

    [Fact]
    public void VariationsAreNumberedFromTwo()
    {
        Assert.Equal("out/stem.wav", StemRequest.VariationPath("out/stem.wav", 0));
        Assert.Equal(Path.Combine("out", "stem-2.wav"), StemRequest.VariationPath("out/stem.wav", 1));
        Assert.Equal(Path.Combine("out", "stem-3.wav"), StemRequest.VariationPath("out/stem.wav", 2));
    }
}
