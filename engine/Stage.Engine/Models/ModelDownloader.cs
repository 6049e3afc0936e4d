using System.Net.Http;
using Stage.Inference.Checkpoints;
using Stage.Shared.Protocol;

namespace Stage.Engine.Models;

/// <summary>
/// `models install`: fetches what an instrument needs — its checkpoint from the STAGE authors' Drive folder
/// (file id resolved from the folder's listing at run time; Drive's large-file confirmation step followed) and
/// t5-base's spiece.model from the Hugging Face hub — into a staging folder that survives an interrupted run
/// (the next run resumes), then verifies and installs it with <see cref="ModelInstaller"/>.
/// </summary>
public sealed class ModelDownloader(HttpClient http, ModelSources sources, IProgress<DownloadProgress>? progress)
{
    public TimeSpan RetryDelay { get; init; } = TimeSpan.FromSeconds(2);

    public async Task<ModelManifest> InstallAsync(Instrument instrument, string modelsRoot, CancellationToken cancel)
    {
        Directory.CreateDirectory(modelsRoot);
        string staging = ModelInstaller.StagingFolder(modelsRoot, "download", instrument);
        string checkpointName = ModelSources.CheckpointName(instrument);
        try
        {
            var listing = await DriveFolder.ListAsync(http, sources.DriveFolderPage, cancel);
            var entry = listing.FirstOrDefault(e => string.Equals(e.Name, checkpointName, StringComparison.OrdinalIgnoreCase))
                ?? throw new ModelDownloadException(
                    $"the STAGE Drive folder lists no {checkpointName} (it lists: {(listing.Count == 0 ? "nothing" : string.Join(", ", listing.Select(e => e.Name)))})");

            var download = new ResumableDownload(http, progress) { OnPage = DriveConfirmation.FindDownload, RetryDelay = RetryDelay };
            await Fetch(download, sources.DriveFile(entry.Id), staging, ModelFolder.WeightsFileName, checkpointName, cancel);
            await Fetch(new ResumableDownload(http, progress) { RetryDelay = RetryDelay }, sources.TokenizerDownload, staging,
                ModelFolder.TokenizerFileName, ModelFolder.TokenizerFileName, cancel);
            // A config.json in the folder (a model of other sizes than the released ones) is taken along.
            if (listing.FirstOrDefault(e => e.Name == ModelFolder.ConfigFileName) is { } config)
                await Fetch(download, sources.DriveFile(config.Id), staging, ModelFolder.ConfigFileName, ModelFolder.ConfigFileName, cancel);
        }
        catch (HttpRequestException e)
        {
            RemoveIfEmpty(staging);
            throw new ModelDownloadException(Offline(instrument, e.Message), e);
        }
        catch (ModelDownloadException)
        {
            RemoveIfEmpty(staging);   // a partial file stays for the next run to resume
            throw;
        }

        try
        {
            return ModelInstaller.Install(staging, modelsRoot, instrument, $"{ModelSources.FolderPage} ({checkpointName}), {ModelSources.TokenizerUrl}");
        }
        catch (ModelVerificationException e)
        {
            // A body that does not verify is not kept: a resumed download would only extend it.
            Directory.Delete(staging, recursive: true);
            throw new ModelVerificationException($"the downloaded {InstrumentName.Of(instrument)} model failed verification and was deleted ({e.Message}); run the command again");
        }
    }

    static void RemoveIfEmpty(string folder)
    {
        if (Directory.Exists(folder) && !Directory.EnumerateFileSystemEntries(folder).Any()) Directory.Delete(folder);
    }

    static async Task Fetch(ResumableDownload download, Uri uri, string staging, string fileName, string shownName, CancellationToken cancel)
    {
        string final = Path.Combine(staging, fileName);
        if (File.Exists(final)) return;   // finished by an earlier run
        string partial = final + ".partial";
        await download.DownloadAsync(uri, partial, shownName, cancel);
        File.Move(partial, final);
    }

    /// <summary>What to do without a network: where the files are and the commands that install them.</summary>
    public static string Offline(Instrument instrument, string why)
    {
        string name = InstrumentName.Of(instrument);
        return $"""
            cannot reach the model hosts ({why}). Download the files in a browser instead:
              the checkpoint {ModelSources.CheckpointName(instrument)} from {ModelSources.FolderPage}
              t5-base's tokenizer spiece.model from {ModelSources.TokenizerUrl}
            then install them with:
              stage-engine models import {ModelSources.CheckpointName(instrument)} --instrument {name} --tokenizer spiece.model
            """;
    }
}
