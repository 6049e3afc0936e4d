using Stage.Shared.Protocol;

namespace Stage.Engine.Tests;

public sealed class ServeCommandTests : IDisposable
{
    readonly string _dir = Directory.CreateTempSubdirectory("stage-serve-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public async Task ServeAnswersAGenerateRequestWithTheMissingModelAndStopsCleanlyOnCancel()
    {
        string pipe = $"stage-test-{Guid.NewGuid():N}", models = Path.Combine(_dir, "models"), log = Path.Combine(_dir, "logs", "engine.log");
        var stdout = new StringWriter();
        var stderrText = new StringWriter();
        var stderr = TextWriter.Synchronized(stderrText);
        using var shutdown = new CancellationTokenSource();
        var serving = Task.Run(() => Program.Run(["serve", "--pipe", pipe, "--models", models, "--log", log], stdout, stderr, shutdown.Token));

        await using (var client = await EngineClient.ConnectAsync(pipe, "serve test", "1", TimeSpan.FromSeconds(20)))
        {
            await client.SendAsync(Requests.Echo(5) with { Instrument = Instrument.Bass });
            var failed = Assert.IsType<Failed>((await Requests.CollectAsync(client, 5)).Final);
            Assert.Equal(FailureCode.ModelMissing, failed.Code);
            Assert.StartsWith($"no bass model installed at {Path.Combine(models, "bass")}: run `stage-engine models install bass`", failed.Message);
        }

        shutdown.Cancel();
        Assert.Equal(0, await serving.WaitAsync(TimeSpan.FromSeconds(10)));
        string logged = File.ReadAllText(log);
        Assert.Contains($"serving on pipe '{pipe}'", logged);
        Assert.Contains("device: ", logged); // which device the model runs on, and why
        Assert.Contains("request 5 failed (model_missing): no bass model installed at", logged);
        Assert.Contains($"stopped serving on pipe '{pipe}'", logged);
        lock (stderr) Assert.Contains("request 5 failed (model_missing)", stderrText.ToString());
    }

    [Fact]
    public async Task ASecondServeOnTheSamePipeRefusesInsteadOfTakingItOver()
    {
        string pipe = $"stage-test-{Guid.NewGuid():N}";
        await using var first = await TestServer.StartAsync(new ScriptedGenerator(), pipe);
        var stderr = new StringWriter();
        int exit = Program.Run(["serve", "--pipe", pipe, "--models", _dir, "--log", Path.Combine(_dir, "second.log")], TextWriter.Null, stderr, CancellationToken.None);
        Assert.Equal(1, exit);
        Assert.Contains($"is already serving on pipe '{pipe}'; stop it first", stderr.ToString());
        await using var client = await first.ConnectAsync();
        await client.SendAsync(new Ping(1));
        Assert.Equal(new Pong(1), await client.NextAsync());
    }

    [Fact]
    public async Task TheEngineProcessShutsDownCleanlyOnSigterm()
    {
        if (OperatingSystem.IsWindows()) return; // no SIGTERM to send there
        string pipe = $"stage-test-{Guid.NewGuid():N}", log = Path.Combine(_dir, "engine.log");
        var start = new System.Diagnostics.ProcessStartInfo("dotnet",
            [Path.Combine(AppContext.BaseDirectory, "stage-engine.dll"), "serve", "--pipe", pipe, "--models", _dir, "--log", log])
        {
            RedirectStandardError = true,
            RedirectStandardOutput = true,
        };
        using var engine = System.Diagnostics.Process.Start(start)!;
        var stderr = engine.StandardError.ReadToEndAsync();
        try
        {
            await using var client = await EngineClient.ConnectAsync(pipe, "sigterm test", "1", TimeSpan.FromSeconds(30));
            using var kill = System.Diagnostics.Process.Start("kill", ["-TERM", engine.Id.ToString()])!;
            await kill.WaitForExitAsync();
            await engine.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(20));
        }
        finally
        {
            if (!engine.HasExited) engine.Kill();
        }
        Assert.Equal(0, engine.ExitCode);
        Assert.Contains($"stopped serving on pipe '{pipe}'", await stderr);
        Assert.False(File.Exists(Path.Combine(Path.GetTempPath(), $"CoreFxPipe_{pipe}")), "the pipe's socket file was left behind");
    }

    [Fact]
    public void HelpDocumentsServeAndItsOptions()
    {
        var stdout = new StringWriter();
        Assert.Equal(0, Program.Run(["--help"], stdout, TextWriter.Null, CancellationToken.None));
        Assert.Contains("serve", stdout.ToString());
        stdout = new StringWriter();
        Assert.Equal(0, Program.Run(["serve", "--help"], stdout, TextWriter.Null, CancellationToken.None));
        foreach (var option in new[] { "--pipe <NAME>", "--models <DIR>", "--log <FILE>", "STAGE_PIPE", "STAGE_MODELS", "engine.log" })
            Assert.Contains(option, stdout.ToString());
    }

    [Fact]
    public void UnknownOptionIsAUsageError()
    {
        var stderr = new StringWriter();
        Assert.Equal(2, Program.Run(["serve", "--port", "80"], TextWriter.Null, stderr, CancellationToken.None));
        Assert.Contains("unknown option '--port'", stderr.ToString());
    }
}
