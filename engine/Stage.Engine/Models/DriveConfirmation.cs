using System.Net;
using System.Text.RegularExpressions;

namespace Stage.Engine.Models;

/// <summary>
/// Drive's answer to a download of a large file is not the file but a page ("can't scan this file for
/// viruses") whose form, id="download-form", repeats the request with a confirm token (and a uuid): this
/// builds that request. Its other pages — quota exceeded, access denied — become errors that say so.
/// Built from public tools' handling of these pages (gdown and others), not observed here.
/// </summary>
public static partial class DriveConfirmation
{
    [GeneratedRegex(@"<form[^>]*id=""download-form""[^>]*action=""([^""]+)""[^>]*>(.*?)</form>", RegexOptions.Singleline | RegexOptions.IgnoreCase)]
    private static partial Regex DownloadForm();

    [GeneratedRegex(@"<input[^>]*type=""hidden""[^>]*name=""([^""]+)""[^>]*value=""([^""]*)""", RegexOptions.IgnoreCase)]
    private static partial Regex HiddenInput();

    [GeneratedRegex(@"href=""(/uc\?export=download[^""]*confirm=[^""]+)""", RegexOptions.IgnoreCase)]
    private static partial Regex ConfirmLink();

    /// <summary>The confirmed download address the page asks for, or null when the page holds none.</summary>
    public static Uri? FindDownload(string html, Uri page)
    {
        var form = DownloadForm().Match(html);
        if (form.Success)
        {
            var query = new List<string>();
            foreach (Match input in HiddenInput().Matches(form.Groups[2].Value))
                query.Add($"{Uri.EscapeDataString(WebUtility.HtmlDecode(input.Groups[1].Value))}={Uri.EscapeDataString(WebUtility.HtmlDecode(input.Groups[2].Value))}");
            var action = new Uri(page, WebUtility.HtmlDecode(form.Groups[1].Value));
            return new Uri($"{action.GetLeftPart(UriPartial.Path)}?{string.Join('&', query)}");
        }
        var link = ConfirmLink().Match(html);
        return link.Success ? new Uri(page, WebUtility.HtmlDecode(link.Groups[1].Value)) : null;
    }

    /// <summary>Why Drive refused, when the page says: quota, permission, or a missing file.</summary>
    public static string? Refusal(string html)
    {
        if (html.Contains("Too many users have viewed or downloaded this file", StringComparison.OrdinalIgnoreCase)
            || html.Contains("quota", StringComparison.OrdinalIgnoreCase))
            return "Drive's download quota for this file is used up for now (too many downloads in the last 24 hours); try again later, or download it in a browser and use `models import`";
        if (html.Contains("ServiceLogin", StringComparison.Ordinal) || html.Contains("You need access", StringComparison.OrdinalIgnoreCase))
            return "Drive asks for a sign-in: the file is not shared publicly";
        return null;
    }
}
