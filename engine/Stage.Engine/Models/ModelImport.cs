using Stage.Inference.Checkpoints;
using Stage.Shared.Protocol;

namespace Stage.Engine.Models;

/// <summary>
/// `models import`: installs a checkpoint the producer downloaded in a browser. The tokenizer and config are
/// the ones named, else spiece.model / config.json lying next to the checkpoint. The user's files are copied,
/// never moved; nothing is installed unless the copy verifies.
/// </summary>
public static class ModelImport
{
    public static ModelManifest Import(string checkpoint, Instrument instrument, string? tokenizer, string? config, string modelsRoot)
    {
        if (!File.Exists(checkpoint)) throw new ModelVerificationException($"{checkpoint}: file not found");
        string beside = Path.GetDirectoryName(Path.GetFullPath(checkpoint))!;
        tokenizer ??= Beside(beside, ModelFolder.TokenizerFileName);
        config ??= Beside(beside, ModelFolder.ConfigFileName);
        if (tokenizer == null)
            throw new ModelVerificationException(
                $"no tokenizer: pass --tokenizer FILE or put {ModelFolder.TokenizerFileName} next to {checkpoint} (t5-base's, from {ModelSources.TokenizerUrl})");
        if (!File.Exists(tokenizer)) throw new ModelVerificationException($"{tokenizer}: file not found");
        if (config != null && !File.Exists(config)) throw new ModelVerificationException($"{config}: file not found");

        Directory.CreateDirectory(modelsRoot);
        string staging = ModelInstaller.StagingFolder(modelsRoot, "import", instrument);
        try
        {
            File.Copy(checkpoint, Path.Combine(staging, ModelFolder.WeightsFileName), overwrite: true);
            File.Copy(tokenizer, Path.Combine(staging, ModelFolder.TokenizerFileName), overwrite: true);
            if (config != null) File.Copy(config, Path.Combine(staging, ModelFolder.ConfigFileName), overwrite: true);
            return ModelInstaller.Install(staging, modelsRoot, instrument, $"imported from {Path.GetFullPath(checkpoint)}");
        }
        catch (ModelVerificationException e)
        {
            throw new ModelVerificationException($"{checkpoint}: {e.Message}");
        }
        finally
        {
            if (Directory.Exists(staging)) Directory.Delete(staging, recursive: true);
        }
    }

    static string? Beside(string folder, string name) => File.Exists(Path.Combine(folder, name)) ? Path.Combine(folder, name) : null;
}
