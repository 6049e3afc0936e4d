using Stage.Engine;

namespace Stage.Engine.Tests.Cli;

/// <summary>What System.CommandLine brings to every command: help, suggestions, response files, exit code 2.</summary>
public sealed class EngineCommandLineTests : IDisposable
{
    readonly string _dir = Directory.CreateTempSubdirectory("stage-cli-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    static (int Code, string Out, string Err) Run(params string[] args)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        int code = Program.Run(args, stdout, stderr, CancellationToken.None);
        return (code, stdout.ToString(), stderr.ToString());
    }

    [Fact]
    public void HelpListsEveryCommandAndTheExitCodes()
    {
        var (code, output, _) = Run("--help");
        Assert.Equal(0, code);
        foreach (var command in new[] { "serve", "codec", "tokenize", "generate", "@FILE", "130 cancelled" })
            Assert.Contains(command, output);
    }

    [Fact]
    public void GenerateHelpShowsEveryOptionWithItsDefault()
    {
        var (code, output, _) = Run("generate", "--help");
        Assert.Equal(0, code); // even though --model and --out are missing
        foreach (var option in new[] { "--model <DIR>", "--out <STEM.wav>", "--context-mode <mixture|click|both>", "--bpm <BPM>",
                     "--meter <N/D>", "--bars <N>", "--seconds <S>", "--top-k <K>", "[default: 250]", "--channels <1|2>", "Exit codes" })
            Assert.Contains(option, output);
    }

    [Fact]
    public void NoCommandIsAUsageError()
    {
        var (code, _, err) = Run();
        Assert.Equal(2, code);
        Assert.Contains("usage: stage-engine {serve|codec|tokenize|generate|devices|models|open}", err);
    }

    [Fact]
    public void VersionIsTheEngineVersion()
    {
        var (code, output, _) = Run("--version");
        Assert.Equal(0, code);
        Assert.Equal(EngineVersion.Text, output.Trim());
    }

    [Fact]
    public void AMistypedOptionIsNamedWithSuggestions()
    {
        var (code, output, err) = Run("generate", "--model", "m", "--out", "o.wav", "--bars", "2", "--temprature", "0.5");
        Assert.Equal(2, code);
        Assert.Equal("", output);
        Assert.Contains("stage-engine generate: unknown option '--temprature'", err);
        Assert.Contains("Did you mean", err);
        Assert.Contains("--temperature", err);
        Assert.DoesNotContain("'0.5'", err); // the unknown option's value is not a second complaint
        Assert.Contains("usage: stage-engine generate --out STEM.wav [options]", err);
    }

    [Fact]
    public void AMistypedCommandIsNamedWithSuggestions()
    {
        var (code, _, err) = Run("serv", "--pipe", "x");
        Assert.Equal(2, code);
        Assert.Contains("stage-engine: unknown command 'serv'", err);
        Assert.DoesNotContain("'--pipe'", err.Split("Did you mean")[0]); // the unknown command's options are not more complaints
        Assert.Contains("Did you mean", err);
        Assert.Contains("\nserve\n", err);
    }

    [Theory]
    [InlineData("--bpm 'fast' is not a number", "--bpm", "fast")]
    [InlineData("--bpm 'NaN' is not a number", "--bpm", "NaN")]
    [InlineData("--top-k '2.5' is not a whole number", "--top-k", "2.5")]
    [InlineData("--context-mode 'drums' is not one of mixture, click, both", "--context-mode", "drums")]
    public void BadValuesNameTheOption(string expected, string option, string value)
    {
        var (code, _, err) = Run("generate", "--model", "m", "--out", "o.wav", "--bars", "2", option, value);
        Assert.Equal(2, code);
        Assert.Contains($"stage-engine generate: {expected}", err);
    }

    [Fact]
    public void AResponseFileSuppliesArguments()
    {
        string responseFile = Path.Combine(_dir, "tokenize.rsp");
        File.WriteAllLines(responseFile, ["--model", RepositoryRoot.TinyFixture, "\"funky drums with ghost notes, 100 bpm\""]);
        var (code, output, err) = Run("tokenize", $"@{responseFile}", "");
        Assert.True(code == 0, err);
        Assert.Equal("[166,29,25,4,21,14,4,128,124,101,3,153,26,1]\n[1]\n", output);
    }

    [Fact]
    public void AMissingResponseFileIsAUsageErrorNamingIt()
    {
        string missing = Path.Combine(_dir, "missing.rsp");
        var (code, _, err) = Run("tokenize", $"@{missing}");
        Assert.Equal(2, code);
        Assert.Contains(missing, err);
    }
}
