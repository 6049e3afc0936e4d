using System.Diagnostics;
using Stage.Engine;
using Stage.Inference.Tests.Generation;
using Stage.Shared.Audio;

namespace Stage.Windows.Tests;

/// <summary>
/// `stage-engine.exe serve` under Wine with a Windows client in the same prefix: the Windows named pipe,
/// the handshake and a streamed stem as the plugin gets them, the current-user ACL on the pipe, the
/// refusal of a second engine, and a clean stop on Ctrl+C.
/// </summary>
[Collection(WindowsCollection.Name)]
public sealed class ServeUnderWineTests(WindowsBuild windows) : IDisposable
{
    readonly string _folder = Directory.CreateTempSubdirectory("stage-wine-serve-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    string Path(string name) => System.IO.Path.Combine(_folder, name);

    [Fact]
    public async Task ServesAStemToAWindowsClientOnAPipeOnlyItsUserCanOpen()
    {
        string pipe = $"stage-wine-{Guid.NewGuid():N}", log = Path("engine.log"), wavs = Directory.CreateDirectory(Path("stems")).FullName;
        string drums = Directory.CreateDirectory(Path("models/drums")).FullName;
        foreach (var file in new[] { "model.safetensors", "spiece.model", "config.json" })
            File.Copy(System.IO.Path.Combine(GoldenTensors.FixtureFolder, file), System.IO.Path.Combine(drums, file));

        using var engine = Process.Start(windows.Wine.StartInfo(windows.Engine,
            ["serve", "--pipe", pipe, "--models", Wine.WindowsPath(Path("models")), "--log", Wine.WindowsPath(log)]))!;
        engine.StandardInput.Close();
        var engineOut = engine.StandardOutput.ReadToEndAsync();
        var engineErr = engine.StandardError.ReadToEndAsync();
        try
        {
            var client = windows.Wine.Run(windows.PipeClient, [pipe, Wine.WindowsPath(wavs)], TimeSpan.FromMinutes(3));
            Assert.True(client.ExitCode == 0, client.Describe("stage-pipe-client.exe") + "\nengine log:\n" + ReadShared(log));
            var facts = client.Stdout.Split("\r\n", StringSplitOptions.RemoveEmptyEntries)
                .Select(line => line.Split(' ', 2)).ToLookup(f => f[0], f => f.Length > 1 ? f[1] : "");

            Assert.Equal($"{EngineVersion.Text} protocol {Stage.Shared.Protocol.Hello.CurrentProtocolVersion}", facts["welcome"].Single());
            Assert.Equal("4242", facts["pong"].Single());
            // One bar of 4/4 at 100 BPM at 48 kHz: 2.4 s, streamed whole and written to the asked-for folder.
            Assert.Equal("115200", facts["streamed"].Single());
            string[] completed = facts["completed"].Single().Split(' ');
            Assert.Equal("115200", completed[0]);
            string wav = Assert.Single(completed[1..]);
            Assert.StartsWith(Wine.WindowsPath(wavs) + "\\drums-100bpm-1bar-seed7-", wav);
            AssertSameStemAsLinux(System.IO.Path.Combine(wavs, wav[(wav.LastIndexOf('\\') + 1)..]));

            // PipeOptions.CurrentUserOnly on Windows: the pipe is owned by the engine's token owner, and
            // its DACL holds one entry, that owner's full control (no Everyone, no other user).
            string owner = facts["owner"].Single();
            Assert.Equal(facts["token-owner"].Single(), owner);
            Assert.StartsWith("S-1-5-", owner);
            Assert.Equal($"Allow {owner} FullControl", facts["rule"].Single());

            // A second engine on the same pipe refuses instead of serving beside the first.
            var second = windows.Wine.Run(windows.Engine,
                ["serve", "--pipe", pipe, "--models", Wine.WindowsPath(_folder), "--log", Wine.WindowsPath(Path("second.log"))], TimeSpan.FromMinutes(2));
            Assert.True(second.ExitCode == 1, second.Describe("a second stage-engine.exe serve on the same pipe"));
            Assert.Contains($"is already serving on pipe '{pipe}'; stop it first", second.Stderr);

            // Ctrl+C: Wine turns the SIGINT into the console's Ctrl+C event, which the engine takes as a clean stop.
            using (var interrupt = Process.Start("kill", ["-INT", engine.Id.ToString()])!) await interrupt.WaitForExitAsync();
            await engine.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(30));
            Assert.True(engine.ExitCode == 0, $"the engine exited {engine.ExitCode} on Ctrl+C:\n{await Drained(engineErr)}");
            string logged = ReadShared(log);
            Assert.Contains($"serving on pipe '{pipe}'", logged);
            Assert.Contains("client 1 (stage-pipe-client 1): request 1 completed", logged);
            Assert.Contains($"stopped serving on pipe '{pipe}'", logged);
            // stdout carries only the control room's address (logs go to stderr and the file).
            Assert.Matches(@"^Control room: http://127\.0\.0\.1:\d+/s/[0-9a-f]{32}/\r?\n$", await Drained(engineOut));
        }
        finally
        {
            if (!engine.HasExited) engine.Kill(entireProcessTree: true);
        }
    }

    /// <summary>The served stem is the one `generate` makes on Linux from the same request.</summary>
    void AssertSameStemAsLinux(string servedWav)
    {
        int exit = Program.Run(["generate", "--model", GoldenTensors.FixtureFolder, "--out", Path("linux.wav"), "--bars", "1", "--bpm", "100",
            "--seed", "7", "--sample-rate", "48000", "--channels", "2"], TextWriter.Null, TextWriter.Null, CancellationToken.None);
        Assert.Equal(0, exit);
        var linux = WavReader.ReadInterleaved(Path("linux.wav"), out _);
        var served = WavReader.ReadInterleaved(servedWav, out var format);
        Assert.Equal((48000, 2), (format.SampleRate, format.ChannelCount));
        Assert.Equal(linux.Length, served.Length);
        float max = 0;
        for (int i = 0; i < linux.Length; i++) max = Math.Max(max, Math.Abs(linux[i] - served[i]));
        Assert.True(max <= 1e-5f, $"the stem served under Wine differs from Linux's by up to {max}");
    }

    // The prefix's wineserver, if this engine started it, holds its output open until the server exits.
    static async Task<string> Drained(Task<string> output)
    {
        try { return await output.WaitAsync(TimeSpan.FromSeconds(30)); }
        catch (TimeoutException) { return "(still open)"; }
    }

    // The engine keeps its log open for writing while it serves.
    static string ReadShared(string path)
    {
        if (!File.Exists(path)) return "(no log)";
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        return new StreamReader(stream).ReadToEnd();
    }
}
