using System.Security.Cryptography;
using System.Text.Json;

namespace Stage.Engine.Models;

/// <summary>One installed file: its name in the model folder, size and SHA-256.</summary>
public sealed record ManifestFile(string Name, long Bytes, string Sha256);

/// <summary>
/// manifest.json in an installed model folder: what was verified at install time (the files' SHA-256, the
/// checkpoint's dtypes and parameter count) and where the files came from. <c>models verify</c> re-checks the
/// hashes; <c>models list</c> reads the rest without opening the weights.
/// </summary>
public sealed record ModelManifest(string Instrument, string Origin, DateTimeOffset VerifiedAt, IReadOnlyList<string> DTypes, long Parameters, IReadOnlyList<ManifestFile> Files)
{
    public const string FileName = "manifest.json";

    public static string Sha256Of(string path)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 20);
        return Convert.ToHexStringLower(SHA256.HashData(stream));
    }

    public void Write(string folder)
    {
        string path = Path.Combine(folder, FileName);
        using (var stream = File.Create(path + ".tmp"))
        using (var json = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true }))
        {
            json.WriteStartObject();
            json.WriteString("instrument", Instrument);
            json.WriteString("origin", Origin);
            json.WriteString("verified_at", VerifiedAt);
            json.WriteStartArray("dtypes");
            foreach (var d in DTypes) json.WriteStringValue(d);
            json.WriteEndArray();
            json.WriteNumber("parameters", Parameters);
            json.WriteStartArray("files");
            foreach (var f in Files)
            {
                json.WriteStartObject();
                json.WriteString("name", f.Name);
                json.WriteNumber("bytes", f.Bytes);
                json.WriteString("sha256", f.Sha256);
                json.WriteEndObject();
            }
            json.WriteEndArray();
            json.WriteEndObject();
        }
        File.Move(path + ".tmp", path, overwrite: true);
    }

    /// <summary>The folder's manifest; null when it has none; throws <see cref="InvalidDataException"/> naming the file when it is unreadable.</summary>
    public static ModelManifest? Read(string folder)
    {
        string path = Path.Combine(folder, FileName);
        if (!File.Exists(path)) return null;
        try
        {
            using var document = JsonDocument.Parse(File.ReadAllBytes(path));
            var root = document.RootElement;
            var files = new List<ManifestFile>();
            foreach (var f in root.GetProperty("files").EnumerateArray())
                files.Add(new ManifestFile(f.GetProperty("name").GetString()!, f.GetProperty("bytes").GetInt64(), f.GetProperty("sha256").GetString()!));
            var dtypes = new List<string>();
            foreach (var d in root.GetProperty("dtypes").EnumerateArray()) dtypes.Add(d.GetString()!);
            return new ModelManifest(root.GetProperty("instrument").GetString()!, root.GetProperty("origin").GetString()!,
                root.GetProperty("verified_at").GetDateTimeOffset(), dtypes, root.GetProperty("parameters").GetInt64(), files);
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException or FormatException)
        {
            throw new InvalidDataException($"{path} is not a readable model manifest: {e.Message}");
        }
    }

    /// <summary>Each listed file whose size or SHA-256 no longer matches (or that is gone), with what is wrong.</summary>
    public IReadOnlyList<string> Problems(string folder)
    {
        var problems = new List<string>();
        foreach (var f in Files)
        {
            string path = Path.Combine(folder, f.Name);
            if (!File.Exists(path)) { problems.Add($"{f.Name} is missing"); continue; }
            long bytes = new FileInfo(path).Length;
            if (bytes != f.Bytes) { problems.Add($"{f.Name} is {bytes} bytes, {f.Bytes} when installed"); continue; }
            if (Sha256Of(path) != f.Sha256) problems.Add($"{f.Name} has changed (its SHA-256 differs from the one recorded at install)");
        }
        return problems;
    }
}
