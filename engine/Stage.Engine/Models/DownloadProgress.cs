namespace Stage.Engine.Models;

/// <summary>How far one file's download is: bytes so far, the total when the host said it, and the rate.</summary>
public readonly record struct DownloadProgress(string File, long Bytes, long? Total, double BytesPerSecond)
{
    public TimeSpan? Eta => Total is { } total && BytesPerSecond > 0 ? TimeSpan.FromSeconds((total - Bytes) / BytesPerSecond) : null;

    public override string ToString()
    {
        string size = Total is { } t ? $"{Mib(Bytes)} of {Mib(t)} MiB ({100.0 * Bytes / Math.Max(1, t):0}%)" : $"{Mib(Bytes)} MiB";
        string eta = Eta is { } e ? $", {e:hh\\:mm\\:ss} left" : "";
        return $"{File}: {size} at {BytesPerSecond / 1048576:0.0} MiB/s{eta}";
    }

    static string Mib(long bytes) => (bytes / 1048576.0).ToString("0.0");
}
