using Stage.Shared.Protocol;

namespace Stage.Engine.Models;

/// <summary>
/// Where an instrument's files come from: the STAGE authors' public Google Drive folder (linked from the
/// STAGE repository's README) for the checkpoints, the Hugging Face hub for t5-base's tokenizer.
/// $STAGE_MODEL_HOSTS (one base URL, e.g. http://127.0.0.1:5123) sends every request to that host instead,
/// keeping the paths: the tests' local server plays both hosts.
/// </summary>
public sealed record ModelSources(Uri DriveFolderPage, Uri DriveDownload, Uri TokenizerDownload)
{
    public const string DriveFolderId = "1tNZsN3OYC8PGVklCRPkebPvS5QGX1w1q";
    public const string FolderPage = "https://drive.google.com/drive/folders/" + DriveFolderId;
    public const string DriveDownloadBase = "https://drive.usercontent.google.com/download";
    public const string TokenizerUrl = "https://huggingface.co/google-t5/t5-base/resolve/main/spiece.model";

    public static ModelSources Default
    {
        get
        {
            var sources = new ModelSources(new Uri(FolderPage), new Uri(DriveDownloadBase), new Uri(TokenizerUrl));
            return Environment.GetEnvironmentVariable("STAGE_MODEL_HOSTS") is { Length: > 0 } host ? sources.At(new Uri(host)) : sources;
        }
    }

    /// <summary>The same paths on another host.</summary>
    public ModelSources At(Uri host) => new(Rehost(DriveFolderPage, host), Rehost(DriveDownload, host), Rehost(TokenizerDownload, host));

    static Uri Rehost(Uri uri, Uri host) => new(host, uri.PathAndQuery);

    /// <summary>The file's download address (Drive shows a confirmation page first for large files).</summary>
    public Uri DriveFile(string fileId) => new($"{DriveDownload}?id={Uri.EscapeDataString(fileId)}&export=download");

    /// <summary>The checkpoint's name in the Drive folder.</summary>
    public static string CheckpointName(Instrument instrument) => $"stage-{InstrumentName.Of(instrument)}.safetensors";
}
