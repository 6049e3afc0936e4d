using System.Text;
using System.Text.Json.Nodes;
using Stage.Engine.Tests.Jobs;

namespace Stage.Engine.Tests.Models;

/// <summary>
/// `stage-engine models` end to end: downloads from <see cref="FakeModelHosts"/> (the live hosts cannot be
/// reached from the test machines), imports of the fixture model and of files that are not one, verify, list, remove.
/// </summary>
[Collection("STAGE_MODEL_HOSTS")]
public sealed class ModelsCommandTests : IDisposable
{
    readonly string dir = Directory.CreateTempSubdirectory("stage-models-").FullName;
    string Root => Path.Combine(dir, "models");
    static string Fixture(string name) => Path.Combine(EndToEnd.FixtureFolder, name);
    static readonly byte[] Checkpoint = File.ReadAllBytes(Fixture("model.safetensors"));

    public void Dispose()
    {
        Environment.SetEnvironmentVariable("STAGE_MODEL_HOSTS", null);
        Directory.Delete(dir, recursive: true);
    }

    static (int Code, string Out, string Err) Run(params string[] args)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        int code = Program.Run(args, stdout, stderr, CancellationToken.None);
        return (code, stdout.ToString(), stderr.ToString());
    }

    FakeModelHosts Hosts()
    {
        var hosts = new FakeModelHosts(Checkpoint, File.ReadAllBytes(Fixture("spiece.model")), File.ReadAllBytes(Fixture("config.json")));
        Environment.SetEnvironmentVariable("STAGE_MODEL_HOSTS", hosts.Address.ToString());
        return hosts;
    }

    [Fact]
    public void Install_resolves_the_file_from_the_folder_passes_the_confirmation_and_installs_a_verified_model_generate_finds()
    {
        using var hosts = Hosts();
        var (code, stdout, stderr) = Run("models", "install", "drums", "--models", Root);
        Assert.True(code == 0, stderr);
        Assert.Contains("drums: installed and verified", stdout);
        Assert.Equal(1, hosts.ConfirmationPagesServed);
        Assert.Equal(Checkpoint, File.ReadAllBytes(Path.Combine(Root, "drums", "model.safetensors")));
        Assert.False(Directory.Exists(Path.Combine(Root, ".download-drums")));

        (code, stdout, _) = Run("models", "verify", "drums", "--models", Root);
        Assert.Equal(0, code);
        Assert.Contains("drums: ok", stdout);
        (code, stdout, _) = Run("models", "list", "--models", Root);
        Assert.Equal(0, code);
        Assert.Contains("model.safetensors", stdout);
        Assert.Contains("verified", stdout);
        Assert.Contains("bass   not installed: stage-engine models install bass", stdout);

        string stem = Path.Combine(dir, "stem.wav");
        (code, _, stderr) = Run("generate", "--instrument", "drums", "--models", Root, "--out", stem, "--seconds", "0.24", "--device", "cpu");
        Assert.True(code == 0, stderr);
        Assert.True(File.Exists(stem));
    }

    [Fact]
    public void A_connection_cut_mid_body_is_resumed_with_a_range_request_into_a_byte_identical_file()
    {
        using var hosts = Hosts();
        hosts.CutCheckpointAfter = Checkpoint.Length / 3;
        var (code, _, stderr) = Run("models", "install", "drums", "--models", Root);
        Assert.True(code == 0, stderr);
        Assert.Contains($"bytes={Checkpoint.Length / 3}-", hosts.Ranges);
        Assert.Equal(Checkpoint, File.ReadAllBytes(Path.Combine(Root, "drums", "model.safetensors")));
    }

    [Fact]
    public void A_corrupted_body_is_refused_and_nothing_is_installed()
    {
        using var hosts = Hosts();
        hosts.CorruptCheckpoint = true;
        var (code, _, stderr) = Run("models", "install", "drums", "--models", Root);
        Assert.Equal(1, code);
        Assert.Contains("the download is corrupted (its MD5 differs from the one 127.0.0.1 states) and was deleted", stderr);
        Assert.False(Directory.Exists(Path.Combine(Root, "drums")));
        Assert.False(Directory.Exists(Path.Combine(Root, ".download-drums")));
    }

    [Theory]
    [InlineData(403, "403 Forbidden")]
    [InlineData(404, "was not found (404)")]
    [InlineData(0, "download quota")]
    public void Refusals_are_clear_errors_and_install_nothing(int status, string expected)
    {
        using var hosts = Hosts();
        if (status == 0) hosts.QuotaExceeded = true; else hosts.CheckpointStatus = status;
        var (code, _, stderr) = Run("models", "install", "drums", "--models", Root);
        Assert.Equal(1, code);
        Assert.Contains(expected, stderr);
        Assert.False(Directory.Exists(Path.Combine(Root, "drums")));
    }

    [Fact]
    public void A_folder_without_the_checkpoint_says_what_it_lists()
    {
        using var hosts = Hosts();
        hosts.ListedName = "README.txt";
        var (code, _, stderr) = Run("models", "install", "drums", "--models", Root);
        Assert.Equal(1, code);
        Assert.Contains("lists no stage-drums.safetensors (it lists: README.txt, stage-bass.safetensors, config.json)", stderr);
    }

    [Fact]
    public void Without_a_network_the_message_gives_both_addresses_and_the_import_command()
    {
        Environment.SetEnvironmentVariable("STAGE_MODEL_HOSTS", "http://127.0.0.1:1/");
        var (code, _, stderr) = Run("models", "install", "bass", "--models", Root);
        Assert.Equal(1, code);
        Assert.Contains("https://drive.google.com/drive/folders/1tNZsN3OYC8PGVklCRPkebPvS5QGX1w1q", stderr);
        Assert.Contains("https://huggingface.co/google-t5/t5-base/resolve/main/spiece.model", stderr);
        Assert.Contains("stage-engine models import stage-bass.safetensors --instrument bass --tokenizer spiece.model", stderr);
    }

    [Fact]
    public void Import_takes_the_tokenizer_and_config_lying_next_to_the_file_and_generate_finds_it_by_instrument()
    {
        var (code, stdout, stderr) = Run("models", "import", Fixture("model.safetensors"), "--instrument", "bass", "--models", Root);
        Assert.True(code == 0, stderr);
        Assert.Contains("bass: installed and verified", stdout);
        foreach (var file in new[] { "model.safetensors", "spiece.model", "config.json", "manifest.json" })
            Assert.True(File.Exists(Path.Combine(Root, "bass", file)), file);
        var manifest = JsonNode.Parse(File.ReadAllText(Path.Combine(Root, "bass", "manifest.json")))!;
        Assert.Equal(Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(Checkpoint)),
            manifest["files"]!.AsArray().First(f => (string)f!["name"]! == "model.safetensors")!["sha256"]!.GetValue<string>());
        string stem = Path.Combine(dir, "bass.wav");
        (code, _, stderr) = Run("generate", "--instrument", "bass", "--models", Root, "--out", stem, "--seconds", "0.24", "--device", "cpu");
        Assert.True(code == 0, stderr);
        // the installed model's first bf16 load kept the LM's converted matrices beside it; verify still passes
        Assert.True(File.Exists(Path.Combine(Root, "bass", "model.lm-bf16.safetensors")));
        (code, stdout, _) = Run("models", "verify", "bass", "--models", Root);
        Assert.True(code == 0, stdout);
    }

    string Copy(string name, byte[] bytes, bool withTokenizer = true)
    {
        string folder = Path.Combine(dir, "downloads");
        Directory.CreateDirectory(folder);
        File.WriteAllBytes(Path.Combine(folder, name), bytes);
        if (withTokenizer)
        {
            File.Copy(Fixture("spiece.model"), Path.Combine(folder, "spiece.model"), overwrite: true);
            File.Copy(Fixture("config.json"), Path.Combine(folder, "config.json"), overwrite: true);
        }
        return Path.Combine(folder, name);
    }

    [Fact]
    public void Import_refuses_a_truncated_file()
    {
        var (code, _, stderr) = Run("models", "import", Copy("stage-drums.safetensors", Checkpoint[..(Checkpoint.Length / 2)]), "--instrument", "drums", "--models", Root);
        Assert.Equal(2, code);
        Assert.Contains("is not a STAGE checkpoint", stderr);
        Assert.Contains("nothing was installed", stderr);
        Assert.False(Directory.Exists(Path.Combine(Root, "drums")));
    }

    [Fact]
    public void Import_refuses_a_safetensors_file_of_another_model_naming_the_first_missing_tensor()
    {
        var (code, _, stderr) = Run("models", "import", Copy("stage-drums.safetensors", File.ReadAllBytes(Fixture("golden.safetensors"))), "--instrument", "drums", "--models", Root);
        Assert.Equal(2, code);
        // the loader reads T5 first (StageModel.Load), so the first tensor it misses is one of T5's
        Assert.Matches($"missing tensor '{System.Text.RegularExpressions.Regex.Escape(Stage.Inference.Checkpoints.StageCheckpointLayout.T5.Prefix)}[^']+'", stderr);
        Assert.False(Directory.Exists(Path.Combine(Root, "drums")));
    }

    [Fact]
    public void Import_refuses_a_tensor_of_the_wrong_shape_and_names_it()
    {
        // The same bytes, one LM weight's shape transposed in the header: only the shape check can tell.
        int headerLength = (int)BitConverter.ToUInt64(Checkpoint, 0);
        var header = JsonNode.Parse(Encoding.UTF8.GetString(Checkpoint, 8, headerLength))!.AsObject();
        var (name, entry) = header.First(p => p.Key.StartsWith("lm.decoder.") && p.Key.EndsWith("linear1.weight") || p.Key.EndsWith("ff.0.0.weight"));
        var shape = entry!["shape"]!.AsArray();
        var swapped = new JsonArray(shape[1]!.GetValue<long>(), shape[0]!.GetValue<long>());
        entry["shape"] = swapped;
        byte[] newHeader = Encoding.UTF8.GetBytes(header.ToJsonString().PadRight(headerLength));
        Assert.Equal(headerLength, newHeader.Length);
        var bytes = (byte[])Checkpoint.Clone();
        newHeader.CopyTo(bytes, 8);
        var (code, _, stderr) = Run("models", "import", Copy("stage-drums.safetensors", bytes), "--instrument", "drums", "--models", Root);
        Assert.Equal(2, code);
        Assert.Contains(name, stderr);
        Assert.False(Directory.Exists(Path.Combine(Root, "drums")));
    }

    [Fact]
    public void Import_refuses_a_file_that_is_not_safetensors_and_a_missing_tokenizer()
    {
        var (code, _, stderr) = Run("models", "import", Copy("stage-drums.safetensors", Encoding.UTF8.GetBytes("<html>Google Drive - Virus scan warning</html>")), "--instrument", "drums", "--models", Root);
        Assert.Equal(2, code);
        Assert.Contains("is not a STAGE checkpoint", stderr);

        string alone = Path.Combine(dir, "alone");
        Directory.CreateDirectory(alone);
        File.Copy(Fixture("model.safetensors"), Path.Combine(alone, "stage-drums.safetensors"));
        (code, _, stderr) = Run("models", "import", Path.Combine(alone, "stage-drums.safetensors"), "--instrument", "drums", "--models", Root);
        Assert.Equal(2, code);
        Assert.Contains("no tokenizer: pass --tokenizer FILE or put spiece.model next to", stderr);
    }

    [Fact]
    public void A_reinstall_that_cannot_move_the_installed_model_aside_says_so_and_keeps_it()
    {
        // On Windows an engine with the model loaded keeps model.safetensors open and the folder cannot be renamed; here
        // the way aside is blocked by a folder already there.
        Assert.Equal(0, Run("models", "import", Fixture("model.safetensors"), "--instrument", "drums", "--models", Root).Code);
        string blocker = Path.Combine(Root, $".replaced-drums-{Environment.ProcessId}");
        Directory.CreateDirectory(blocker);
        File.WriteAllText(Path.Combine(blocker, "x"), "x");
        var (code, _, stderr) = Run("models", "import", Fixture("model.safetensors"), "--instrument", "drums", "--models", Root);
        Assert.Equal(1, code);
        Assert.Contains("could not be moved aside", stderr);
        Assert.Contains("stop the engine", stderr);
        Assert.Contains("nothing was installed", stderr);
        Assert.True(File.Exists(Path.Combine(Root, "drums", "model.safetensors")));
        Assert.Equal(0, Run("models", "verify", "drums", "--models", Root).Code);
    }

    [Fact]
    public void Verify_finds_a_changed_file_and_remove_deletes_the_model()
    {
        Assert.Equal(0, Run("models", "import", Fixture("model.safetensors"), "--instrument", "drums", "--models", Root).Code);
        using (var file = new FileStream(Path.Combine(Root, "drums", "spiece.model"), FileMode.Open, FileAccess.ReadWrite))
        {
            file.Position = 100;
            file.WriteByte(0xFF);
        }
        var (code, stdout, _) = Run("models", "verify", "--models", Root);
        Assert.Equal(1, code);
        Assert.Contains("drums: FAILED: spiece.model has changed", stdout);
        Assert.Contains("bass: not installed", stdout);

        (code, stdout, _) = Run("models", "remove", "drums", "--models", Root);
        Assert.Equal(0, code);
        Assert.False(Directory.Exists(Path.Combine(Root, "drums")));
    }

    [Fact]
    public async Task The_installer_with_models_installs_both_instruments_with_the_engine_it_installed()
    {
        if (OperatingSystem.IsWindows()) return;   // install.sh is the Linux installer (install.ps1 has its own tests)
        using var hosts = Hosts();
        // An engine folder as the installer expects one (an executable stage-engine), running this build's engine.
        string engine = Directory.CreateDirectory(Path.Combine(dir, "engine")).FullName;
        string dll = typeof(Program).Assembly.Location;
        File.WriteAllText(Path.Combine(engine, "stage-engine"), $"#!/bin/sh\nexec dotnet \"{dll}\" \"$@\"\n");
        File.SetUnixFileMode(Path.Combine(engine, "stage-engine"), UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        // The models step needs no real plugin: a bundle with the file the installer checks for.
        string bundle = Path.Combine(dir, "Stage.vst3");
        Directory.CreateDirectory(Path.Combine(bundle, "Contents", "x86_64-linux"));
        File.WriteAllText(Path.Combine(bundle, "Contents", "x86_64-linux", "Stage.so"), "not a plugin");
        string home = Directory.CreateDirectory(Path.Combine(dir, "home")).FullName;

        var start = new System.Diagnostics.ProcessStartInfo("bash",
            [Path.Combine(RepositoryRoot.Path, "installer", "install.sh"), "--bundle", bundle, "--engine", engine, "--with-models"])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        start.Environment["HOME"] = home;
        start.Environment["XDG_DATA_HOME"] = Path.Combine(home, "data");
        start.Environment["STAGE_MODEL_HOSTS"] = hosts.Address.ToString();
        start.Environment.Remove("STAGE_MODELS");
        using var installer = System.Diagnostics.Process.Start(start)!;
        var output = installer.StandardOutput.ReadToEndAsync();
        var errors = installer.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        await installer.WaitForExitAsync(timeout.Token);
        string stdout = await output, stderr = await errors;
        Assert.True(installer.ExitCode == 0, $"{stdout}\n{stderr}");
        string models = Path.Combine(home, "data", "Stage", "models");
        foreach (var instrument in new[] { "drums", "bass" })
        {
            Assert.Equal(Checkpoint, File.ReadAllBytes(Path.Combine(models, instrument, "model.safetensors")));
            Assert.True(File.Exists(Path.Combine(models, instrument, "manifest.json")), instrument);
            Assert.Contains($"model   {Path.Combine(models, instrument)} (complete)", stdout);
        }
    }

    [Fact]
    public void Generate_without_an_installed_model_names_the_command_that_installs_it()
    {
        var (code, _, stderr) = Run("generate", "--instrument", "bass", "--models", Root, "--out", Path.Combine(dir, "x.wav"), "--seconds", "1");
        Assert.Equal(2, code);
        Assert.Contains("run `stage-engine models install bass`", stderr);
    }
}

[CollectionDefinition("STAGE_MODEL_HOSTS", DisableParallelization = true)]
public sealed class ModelHostsCollection { }
