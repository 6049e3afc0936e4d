using System.CommandLine;
using Stage.Engine.Models;
using Stage.Inference.Checkpoints;
using Stage.Shared;
using Stage.Shared.Protocol;

namespace Stage.Engine.Cli;

/// <summary>
/// `stage-engine models install|import|verify|list|remove`: getting the STAGE checkpoints and t5-base's
/// tokenizer into &lt;models&gt;/drums and /bass, the folders generate and serve load by instrument.
/// </summary>
public sealed class ModelsCommand : Command
{
    public ModelsCommand() : base("models", "install, import, verify, list and remove the instrument models")
    {
        Add(new Install());
        Add(new Import());
        Add(new Verify());
        Add(new List());
        Add(new Remove());
    }

    static Option<string?> Root() => SharedOptions.ModelsRoot();

    static Argument<string> Which(string description) => new("instrument")
    {
        Description = description,
        HelpName = "drums|bass|all",
        Validators = { r => { if (Instruments(r.GetValueOrDefault<string>()) is null) r.AddError($"'{r.GetValueOrDefault<string>()}' is not drums, bass or all"); } },
    };

    static Instrument[]? Instruments(string? text) => text switch
    {
        "all" => [Instrument.Drums, Instrument.Bass],
        _ when InstrumentName.Parse(text ?? "") is { } one => [one],
        _ => null,
    };

    sealed class Install : EngineCommand
    {
        readonly Argument<string> _which = Which("what to install");
        readonly Option<string?> _root = Root();

        public Install() : base("install", "download an instrument's checkpoint and t5-base's tokenizer, verify and install them")
        {
            Details =
                $"""
                The checkpoint comes from the STAGE authors' Google Drive folder ({ModelSources.FolderPage}), the tokenizer
                from {ModelSources.TokenizerUrl}. An interrupted download resumes where it stopped when the command is run
                again. Proxies: HTTP_PROXY, HTTPS_PROXY, NO_PROXY. Offline: download the files in a browser and use
                `models import`.
                """;
            Add(_which);
            Add(_root);
        }

        protected override int Run(ParseResult result, TextWriter stdout, TextWriter stderr, CancellationToken cancel)
        {
            string root = SharedOptions.ModelsRootOf(result, _root);
            using var http = new HttpClient { Timeout = TimeSpan.FromMinutes(2) };   // bounds the wait for headers; a stalled body is caught by ResumableDownload.StallTimeout
            http.DefaultRequestHeaders.UserAgent.ParseAdd($"stage-engine/{EngineVersion.Text}");
            var progress = new TerminalProgress(stderr);
            foreach (var instrument in Instruments(result.GetRequiredValue(_which))!)
            {
                try
                {
                    var manifest = new ModelDownloader(http, ModelSources.Default, progress).InstallAsync(instrument, root, cancel).GetAwaiter().GetResult();
                    progress.Done();
                    stdout.WriteLine($"{InstrumentName.Of(instrument)}: installed and verified at {Path.Combine(root, InstrumentName.Of(instrument))} ({manifest.Parameters:N0} parameters, {string.Join("/", manifest.DTypes)})");
                }
                catch (OperationCanceledException) when (cancel.IsCancellationRequested)
                {
                    progress.Done();
                    stderr.WriteLine("stage-engine models install: cancelled; run it again to resume the download");
                    return 130;
                }
                catch (Exception e) when (e is ModelDownloadException or ModelVerificationException or IOException or UnauthorizedAccessException)
                {
                    progress.Done();
                    stderr.WriteLine($"stage-engine models install {InstrumentName.Of(instrument)}: {e.Message}");
                    return 1;
                }
            }
            return 0;
        }
    }

    sealed class Import : EngineCommand
    {
        readonly Argument<string> _file = new("FILE") { Description = "the checkpoint downloaded in a browser (stage-drums.safetensors or stage-bass.safetensors)" };
        readonly Option<string> _instrument = new("--instrument")
        {
            Description = "the instrument the checkpoint is for",
            HelpName = "drums|bass",
            Required = true,
            Validators = { r => { if (InstrumentName.Parse(r.GetValueOrDefault<string>() ?? "") is null) r.AddError("--instrument must be drums or bass"); } },
        };
        readonly Option<string?> _tokenizer = new("--tokenizer") { Description = "t5-base's spiece.model (default: spiece.model next to FILE)", HelpName = "FILE" };
        readonly Option<string?> _config = new("--config") { Description = "config.json for models of other sizes than the released ones (default: config.json next to FILE, if any)", HelpName = "FILE" };
        readonly Option<string?> _root = Root();

        public Import() : base("import", "verify and install a checkpoint (and tokenizer) downloaded by hand")
        {
            Add(_file);
            Add(_instrument);
            Add(_tokenizer);
            Add(_config);
            Add(_root);
        }

        protected override int Run(ParseResult result, TextWriter stdout, TextWriter stderr, CancellationToken cancel)
        {
            var instrument = InstrumentName.Parse(result.GetRequiredValue(_instrument))!.Value;
            string root = SharedOptions.ModelsRootOf(result, _root);
            try
            {
                var manifest = ModelImport.Import(result.GetRequiredValue(_file), instrument, result.GetValue(_tokenizer), result.GetValue(_config), root);
                stdout.WriteLine($"{InstrumentName.Of(instrument)}: installed and verified at {Path.Combine(root, InstrumentName.Of(instrument))} ({manifest.Parameters:N0} parameters, {string.Join("/", manifest.DTypes)})");
                return 0;
            }
            catch (ModelVerificationException e)
            {
                stderr.WriteLine($"stage-engine models import: {e.Message}; nothing was installed");
                return 2;
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                stderr.WriteLine($"stage-engine models import: {e.Message}; nothing was installed");
                return 1;
            }
        }
    }

    sealed class Verify : EngineCommand
    {
        readonly Argument<string> _which = Which("what to verify");
        readonly Option<string?> _root = Root();

        public Verify() : base("verify", "re-check installed models' files against the SHA-256 recorded at install")
        {
            _which.DefaultValueFactory = _ => "all";
            Add(_which);
            Add(_root);
        }

        protected override int Run(ParseResult result, TextWriter stdout, TextWriter stderr, CancellationToken cancel)
        {
            string root = SharedOptions.ModelsRootOf(result, _root);
            int status = 0;
            foreach (var instrument in Instruments(result.GetRequiredValue(_which))!)
            {
                string name = InstrumentName.Of(instrument), folder = Path.Combine(root, name);
                try
                {
                    if (!Directory.Exists(folder)) { stdout.WriteLine($"{name}: not installed (stage-engine models install {name})"); continue; }
                    var manifest = ModelManifest.Read(folder);
                    if (manifest == null) { stdout.WriteLine($"{name}: not verified (no {ModelManifest.FileName}; reinstall with `models install {name}` or `models import`)"); status = 1; continue; }
                    var problems = manifest.Problems(folder);
                    if (problems.Count == 0) stdout.WriteLine($"{name}: ok ({manifest.Files.Count} files match their SHA-256)");
                    else { stdout.WriteLine($"{name}: FAILED: {string.Join("; ", problems)}; reinstall with `stage-engine models install {name}`"); status = 1; }
                }
                catch (Exception e) when (e is InvalidDataException or IOException or UnauthorizedAccessException)
                {
                    stdout.WriteLine($"{name}: FAILED: {e.Message}");
                    status = 1;
                }
            }
            return status;
        }
    }

    sealed class List : EngineCommand
    {
        readonly Option<string?> _root = Root();

        public List() : base("list", "the installed models: files, size, dtype, parameters, verified, where")
        {
            Add(_root);
        }

        protected override int Run(ParseResult result, TextWriter stdout, TextWriter stderr, CancellationToken cancel)
        {
            string root = SharedOptions.ModelsRootOf(result, _root);
            stdout.WriteLine($"models in {Path.GetFullPath(root)}:");
            foreach (var instrument in new[] { Instrument.Drums, Instrument.Bass })
            {
                string name = InstrumentName.Of(instrument), folder = Path.Combine(root, name);
                if (!Directory.Exists(folder)) { stdout.WriteLine($"  {name,-6} not installed: stage-engine models install {name}"); continue; }
                var files = Directory.GetFiles(folder).Select(Path.GetFileName).Where(f => f != ModelManifest.FileName).Order().ToList();
                long bytes = Directory.GetFiles(folder).Sum(f => new FileInfo(f).Length);
                ModelManifest? manifest;
                try { manifest = ModelManifest.Read(folder); }
                catch (InvalidDataException e) { stdout.WriteLine($"  {name,-6} {e.Message}"); continue; }
                string what = manifest is null
                    ? "not verified (installed by hand: `models import` verifies)"
                    : $"{string.Join("/", manifest.DTypes)}, {manifest.Parameters / 1e6:0.#} M parameters, verified {manifest.VerifiedAt:yyyy-MM-dd HH:mm} UTC";
                stdout.WriteLine($"  {name,-6} {string.Join(", ", files)}; {bytes / 1048576.0:0.0} MiB; {what}; {folder}");
            }
            return 0;
        }
    }

    sealed class Remove : EngineCommand
    {
        readonly Argument<string> _which = Which("what to remove");
        readonly Option<string?> _root = Root();

        public Remove() : base("remove", "delete an installed model's folder")
        {
            Add(_which);
            Add(_root);
        }

        protected override int Run(ParseResult result, TextWriter stdout, TextWriter stderr, CancellationToken cancel)
        {
            string root = SharedOptions.ModelsRootOf(result, _root);
            foreach (var instrument in Instruments(result.GetRequiredValue(_which))!)
            {
                string name = InstrumentName.Of(instrument), folder = Path.Combine(root, name);
                if (!Directory.Exists(folder)) { stdout.WriteLine($"{name}: not installed"); continue; }
                try { Directory.Delete(folder, recursive: true); }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                {
                    stderr.WriteLine($"stage-engine models remove {name}: {e.Message}");
                    return 1;
                }
                stdout.WriteLine($"{name}: removed {folder}");
            }
            return 0;
        }
    }

    /// <summary>One line of download progress, rewritten in place on a terminal, every few seconds otherwise.</summary>
    sealed class TerminalProgress(TextWriter output) : IProgress<DownloadProgress>
    {
        readonly bool terminal = !Console.IsErrorRedirected && ReferenceEquals(output, Console.Error);
        DateTime last;
        bool open;

        public void Report(DownloadProgress value)
        {
            if (terminal) { output.Write($"\r{value,-100}"); open = true; return; }
            if (DateTime.UtcNow - last < TimeSpan.FromSeconds(5) && value.Bytes != value.Total) return;
            last = DateTime.UtcNow;
            output.WriteLine(value);
        }

        public void Done()
        {
            if (open) output.WriteLine();
            open = false;
        }
    }
}
