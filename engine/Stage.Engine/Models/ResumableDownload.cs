using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;

namespace Stage.Engine.Models;

/// <summary>
/// Downloads one file into a partial file, resuming what an earlier attempt left there with an HTTP Range
/// request, and retrying a cut connection from where it stopped. Checks free disk space against what the
/// host announces before writing. An HTML answer where a file was expected goes to <see cref="OnPage"/>
/// (Drive's confirmation step); errors name the address and what the host answered. Proxies come from the
/// standard variables (HttpClient's default proxy reads HTTP_PROXY, HTTPS_PROXY, NO_PROXY).
/// </summary>
public sealed class ResumableDownload(HttpClient http, IProgress<DownloadProgress>? progress)
{
    public int Attempts { get; init; } = 5;
    public TimeSpan RetryDelay { get; init; } = TimeSpan.FromSeconds(2);
    public TimeSpan StallTimeout { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>Given an HTML page received instead of the file, the address to ask next (null: no way on).</summary>
    public Func<string, Uri, Uri?>? OnPage { get; init; }

    /// <summary>Completes <paramref name="partialPath"/> from <paramref name="uri"/>; returns its length.</summary>
    public async Task<long> DownloadAsync(Uri uri, string partialPath, string name, CancellationToken cancel)
    {
        int failures = 0, pages = 0;
        (string Algorithm, byte[] Value)? expectedHash = null;
        while (true)
        {
            long have = File.Exists(partialPath) ? new FileInfo(partialPath).Length : 0;
            using var request = new HttpRequestMessage(HttpMethod.Get, uri);
            if (have > 0) request.Headers.Range = new RangeHeaderValue(have, null);
            HttpResponseMessage response;
            try
            {
                response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancel);
            }
            catch (HttpRequestException e) when (++failures < Attempts && have > 0)
            {
                _ = e;
                await Task.Delay(RetryDelay, cancel);
                continue;
            }
            using (response)
            {
                if (response.StatusCode == HttpStatusCode.RequestedRangeNotSatisfiable)
                {
                    File.Delete(partialPath);   // the partial is not a prefix of what the host serves now
                    if (++failures >= Attempts) throw Refused(uri, response, null);
                    continue;
                }
                if (response.Content.Headers.ContentType?.MediaType == "text/html")
                {
                    string html = await response.Content.ReadAsStringAsync(cancel);
                    if (DriveConfirmation.Refusal(html) is { } refusal) throw new ModelDownloadException($"{name}: {refusal} ({uri})");
                    if (!response.IsSuccessStatusCode) throw Refused(uri, response, null);
                    if (OnPage?.Invoke(html, uri) is { } next && ++pages <= 3) { uri = next; continue; }
                    throw new ModelDownloadException($"{name}: {uri} answered with a web page instead of the file");
                }
                if (!response.IsSuccessStatusCode) throw Refused(uri, response, null);

                expectedHash = HostHash(response) ?? expectedHash;
                bool resumed = response.StatusCode == HttpStatusCode.PartialContent;
                if (!resumed) have = 0;
                long? total = response.Content.Headers.ContentRange?.Length ?? (response.Content.Headers.ContentLength is { } length ? have + length : null);
                if (total is { } needed) EnsureSpace(partialPath, needed - have, name);
                try
                {
                    have = await CopyAsync(response, partialPath, resumed ? have : 0, total, name, cancel);
                }
                catch (Exception e) when (e is IOException or HttpRequestException && !cancel.IsCancellationRequested)
                {
                    if (++failures >= Attempts)
                        throw new ModelDownloadException($"{name}: the connection to {uri.Host} broke {failures} times ({e.Message}); run the command again to resume", e);
                    await Task.Delay(RetryDelay, cancel);
                    continue;
                }
                if (total is { } expected && have != expected)
                {
                    if (++failures >= Attempts) throw new ModelDownloadException($"{name}: {uri.Host} sent {have} of {expected} bytes; run the command again to resume");
                    continue;
                }
                if (expectedHash is { } hash) CheckHash(partialPath, hash.Algorithm, hash.Value, name, uri);
                return have;
            }
        }
    }

    /// <summary>
    /// The whole file's hash when the host states one: Google's storage front ends send x-goog-hash (md5=, base64),
    /// the Hugging Face hub sends the SHA-256 of a large (LFS) file as X-Linked-Etag. Read from their documentation.
    /// </summary>
    static (string Algorithm, byte[] Value)? HostHash(HttpResponseMessage response)
    {
        if (response.Headers.TryGetValues("x-goog-hash", out var goog))
            foreach (var part in goog.SelectMany(v => v.Split(',')))
                if (part.Trim().StartsWith("md5=", StringComparison.Ordinal))
                {
                    try { return ("MD5", Convert.FromBase64String(part.Trim()[4..])); } catch (FormatException) { }
                }
        if (response.Headers.TryGetValues("X-Linked-Etag", out var linked) && linked.FirstOrDefault()?.Trim('"', 'W', '/') is { Length: 64 } sha
            && sha.All(Uri.IsHexDigit))
            return ("SHA-256", Convert.FromHexString(sha));
        return null;
    }

    static void CheckHash(string path, string algorithm, byte[] expected, string name, Uri uri)
    {
        byte[] actual;
        using (var file = File.OpenRead(path))
            actual = algorithm == "MD5" ? System.Security.Cryptography.MD5.HashData(file) : System.Security.Cryptography.SHA256.HashData(file);
        if (actual.AsSpan().SequenceEqual(expected)) return;
        File.Delete(path);
        throw new ModelDownloadException($"{name}: the download is corrupted (its {algorithm} differs from the one {uri.Host} states) and was deleted; run the command again");
    }

    async Task<long> CopyAsync(HttpResponseMessage response, string partialPath, long offset, long? total, string name, CancellationToken cancel)
    {
        await using var body = await response.Content.ReadAsStreamAsync(cancel);
        await using var file = new FileStream(partialPath, offset > 0 ? FileMode.Append : FileMode.Create, FileAccess.Write, FileShare.None, 1 << 16, useAsync: true);
        var buffer = new byte[1 << 20];
        long have = offset, startedAt = offset;
        var clock = Stopwatch.StartNew();
        long lastReport = 0;
        int n;
        using var stall = CancellationTokenSource.CreateLinkedTokenSource(cancel);
        while (true)
        {
            // A connection that stops sending without closing would hang the install for ever: a read that gets
            // nothing for StallTimeout counts as a cut connection (resumed like one).
            stall.CancelAfter(StallTimeout);
            try { n = await body.ReadAsync(buffer, stall.Token); }
            catch (OperationCanceledException) when (!cancel.IsCancellationRequested)
            {
                throw new IOException($"no data for {StallTimeout.TotalSeconds:0} s");
            }
            if (n == 0) break;
            await file.WriteAsync(buffer.AsMemory(0, n), cancel);
            have += n;
            if (clock.ElapsedMilliseconds - lastReport >= 250)
            {
                lastReport = clock.ElapsedMilliseconds;
                progress?.Report(new DownloadProgress(name, have, total, (have - startedAt) / Math.Max(1e-3, clock.Elapsed.TotalSeconds)));
            }
        }
        await file.FlushAsync(cancel);
        progress?.Report(new DownloadProgress(name, have, total, (have - startedAt) / Math.Max(1e-3, clock.Elapsed.TotalSeconds)));
        return have;
    }

    static void EnsureSpace(string path, long bytes, string name)
    {
        long free = FreeSpace(Path.GetFullPath(path));
        if (free < bytes + (64L << 20))
            throw new ModelDownloadException($"{name}: needs {bytes / 1048576.0:0} MiB but {Path.GetDirectoryName(Path.GetFullPath(path))} has {free / 1048576.0:0} MiB free");
    }

    /// <summary>Free bytes on the file system holding <paramref name="path"/> (its mount point is the longest drive root that prefixes it).</summary>
    static long FreeSpace(string path)
    {
        DriveInfo? best = null;
        foreach (var drive in DriveInfo.GetDrives())
        {
            string root = drive.RootDirectory.FullName;
            if (path.StartsWith(root, OperatingSystem.IsWindows() ? StringComparison.OrdinalIgnoreCase : StringComparison.Ordinal)
                && (best == null || root.Length > best.RootDirectory.FullName.Length))
                best = drive;
        }
        try { return best?.AvailableFreeSpace ?? long.MaxValue; }
        catch (IOException) { return long.MaxValue; }   // unknown: the write itself will say if the disk fills
    }

    static ModelDownloadException Refused(Uri uri, HttpResponseMessage response, string? detail) => new(
        (int)response.StatusCode switch
        {
            404 => $"{uri} was not found (404): the file moved or was removed",
            403 => $"{uri} refused the download (403 Forbidden): the file is not public, or the host's download quota is used up",
            429 => $"{uri} refused the download (429 Too Many Requests): the host's rate limit; try again later",
            _ => $"{uri} answered {(int)response.StatusCode} {response.ReasonPhrase}",
        } + (detail is null ? "" : $": {detail}"));
}
