using Stage.Engine;

namespace Stage.Engine.Tests.Cli;

public class TokenizeCommandTests
{
    static string FixtureDirectory => RepositoryRoot.TinyFixture;

    static (int Code, string Out, string Err) Run(params string[] args)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        int code = Program.Run(args, stdout, stderr, CancellationToken.None);
        return (code, stdout.ToString(), stderr.ToString());
    }

    [Fact]
    public void PrintsOneJsonArrayPerPrompt()
    {
        var (code, output, err) = Run("tokenize", "--model", FixtureDirectory, "funky drums with ghost notes, 100 bpm", "", "🥁🥁 drums ドラム 鼓");
        Assert.Equal(0, code);
        Assert.Equal("", err);
        Assert.Equal("[166,29,25,4,21,14,4,128,124,101,3,153,26,1]\n[1]\n[4,2,25,4,2,4,2,1]\n", output);
    }

    [Fact]
    public void AcceptsTheModelFileItselfAndPromptsAfterDoubleDash()
    {
        var (code, output, _) = Run("tokenize", "--model", Path.Combine(FixtureDirectory, "spiece.model"), "--", "--a");
        Assert.Equal(0, code);
        Assert.Equal("[4,39,39,53,1]\n", output);
    }

    [Fact]
    public void MissingModelIsAnErrorNamingThePath()
    {
        string missing = Path.Combine(Path.GetTempPath(), "stage-no-such-model", "spiece.model");
        var (code, output, err) = Run("tokenize", "--model", missing, "a");
        Assert.Equal(1, code);
        Assert.Equal("", output);
        Assert.Contains(missing, err);
    }

    [Fact]
    public void TooLongPromptIsAnErrorStatingTheCapAndPrintsNothing()
    {
        var (code, output, err) = Run("tokenize", "--model", FixtureDirectory, "a", string.Concat(Enumerable.Repeat("drums ", 600)));
        Assert.Equal(1, code);
        Assert.Equal("", output);
        Assert.Contains("prompt 2", err);
        Assert.Contains("at most 512 tokens", err);
    }

    [Theory]
    [InlineData("tokenize", "a")]
    [InlineData("tokenize", "--model")]
    [InlineData("tokenize", "--model", "x")]
    [InlineData("tokenize", "--model", "x", "--bogus", "a")]
    public void BadCommandLinesAreUsageErrors(params string[] args)
    {
        var (code, _, err) = Run(args);
        Assert.Equal(2, code);
        Assert.Contains("usage: stage-engine tokenize", err);
    }
}
