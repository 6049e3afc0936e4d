using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace Stage.Engine.Models;

/// <summary>One file listed in a public Drive folder.</summary>
public sealed record DriveEntry(string Id, string Name, string MimeType);

/// <summary>
/// Reads a public Google Drive folder's listing from its page, so file ids are resolved at run time (the
/// authors may re-upload). The page embeds the listing as a JavaScript string, window['_DRIVE_ivd'] =
/// '…', holding JSON with \xNN escapes: an array whose first element lists the entries as
/// [id, [parent ids], name, mime type, …]. Built from how public tools (gdown and others) read it, not from
/// an observed page: no live host is reachable from where this was written.
/// </summary>
public static partial class DriveFolder
{
    [GeneratedRegex(@"window\['_DRIVE_ivd'\]\s*=\s*'((?:[^'\\]|\\.)*)'")]
    private static partial Regex ListingScript();

    public static async Task<IReadOnlyList<DriveEntry>> ListAsync(HttpClient http, Uri page, CancellationToken cancel)
    {
        using var response = await http.GetAsync(page, cancel);
        if (!response.IsSuccessStatusCode)
            throw new ModelDownloadException($"the Drive folder {page} answered {(int)response.StatusCode} {response.ReasonPhrase}");
        return Parse(await response.Content.ReadAsStringAsync(cancel), page);
    }

    /// <summary>The entries of a folder page; throws <see cref="ModelDownloadException"/> naming what was not found.</summary>
    public static IReadOnlyList<DriveEntry> Parse(string html, Uri page)
    {
        var match = ListingScript().Match(html);
        if (!match.Success)
            throw new ModelDownloadException($"the Drive folder page {page} holds no file listing (the folder is private, or Drive changed its page)");
        JsonElement root;
        try { root = JsonDocument.Parse(Unescape(match.Groups[1].Value)).RootElement; }
        catch (JsonException e) { throw new ModelDownloadException($"the Drive folder page {page} has a listing that is not JSON: {e.Message}"); }
        var entries = new List<DriveEntry>();
        if (root.ValueKind != JsonValueKind.Array || root.GetArrayLength() == 0 || root[0].ValueKind != JsonValueKind.Array) return entries;
        foreach (var item in root[0].EnumerateArray())
        {
            if (item.ValueKind != JsonValueKind.Array || item.GetArrayLength() < 4) continue;
            if (item[0].ValueKind != JsonValueKind.String || item[2].ValueKind != JsonValueKind.String) continue;
            entries.Add(new DriveEntry(item[0].GetString()!, item[2].GetString()!, item[3].ValueKind == JsonValueKind.String ? item[3].GetString()! : ""));
        }
        return entries;
    }

    /// <summary>Undoes a JavaScript single-quoted string's escapes (\xNN, \uNNNN, \/, \\, \', \", \n).</summary>
    static string Unescape(string js)
    {
        var text = new StringBuilder(js.Length);
        for (int i = 0; i < js.Length; i++)
        {
            char c = js[i];
            if (c != '\\' || i + 1 >= js.Length) { text.Append(c); continue; }
            char e = js[++i];
            switch (e)
            {
                case 'x' when i + 2 < js.Length: text.Append((char)Convert.ToInt32(js.Substring(i + 1, 2), 16)); i += 2; break;
                case 'u' when i + 4 < js.Length: text.Append((char)Convert.ToInt32(js.Substring(i + 1, 4), 16)); i += 4; break;
                case 'n': text.Append('\n'); break;
                case 't': text.Append('\t'); break;
                default: text.Append(e); break;
            }
        }
        return text.ToString();
    }
}
