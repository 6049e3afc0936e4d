using Stage.Inference.Checkpoints;
using Stage.Shared.Protocol;

namespace Stage.Engine.Models;

/// <summary>
/// Puts a verified model folder in place: a staging folder beside the installed ones is verified, hashed
/// into its manifest, and renamed to &lt;models&gt;/&lt;instrument&gt; only then, so the engine never finds a
/// half-written or unverified model where it loads one. An earlier install of the instrument is replaced.
/// </summary>
public static class ModelInstaller
{
    /// <summary>A fresh staging folder under <paramref name="modelsRoot"/> (same file system as the target, so the final rename is atomic).</summary>
    public static string StagingFolder(string modelsRoot, string purpose, Instrument instrument)
    {
        string folder = Path.Combine(modelsRoot, $".{purpose}-{InstrumentName.Of(instrument)}");
        Directory.CreateDirectory(folder);
        return folder;
    }

    public static ModelManifest Install(string staging, string modelsRoot, Instrument instrument, string origin)
    {
        var (dtypes, parameters) = ModelVerifier.Verify(staging);
        var files = new List<ManifestFile>();
        foreach (var name in new[] { ModelFolder.WeightsFileName, ModelFolder.TokenizerFileName, ModelFolder.ConfigFileName })
        {
            string path = Path.Combine(staging, name);
            if (File.Exists(path)) files.Add(new ManifestFile(name, new FileInfo(path).Length, ModelManifest.Sha256Of(path)));
        }
        var manifest = new ModelManifest(InstrumentName.Of(instrument), origin, DateTimeOffset.UtcNow, dtypes, parameters, files);
        manifest.Write(staging);

        string target = Path.Combine(modelsRoot, InstrumentName.Of(instrument));
        string? previous = null;
        if (Directory.Exists(target))
        {
            previous = Path.Combine(modelsRoot, $".replaced-{InstrumentName.Of(instrument)}-{Environment.ProcessId}");
            try { Directory.Move(target, previous); }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // An engine that has loaded the model reads its embeddings from model.safetensors (EmbeddingTable), so
                // keeps the file open; Windows refuses to rename a folder with an open file inside.
                throw new IOException($"the installed {InstrumentName.Of(instrument)} model at {target} could not be moved aside ({e.Message}); " +
                    "if an engine is running with it loaded, stop the engine (close the DAW) and install again", e);
            }
        }
        Directory.Move(staging, target);
        if (previous != null) Directory.Delete(previous, recursive: true);
        return manifest;
    }
}
