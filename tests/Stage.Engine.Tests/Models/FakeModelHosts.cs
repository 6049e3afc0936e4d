using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Stage.Engine.Tests.Models;

/// <summary>
/// A loopback HTTP server playing both model hosts the way `models install` meets them: the Drive folder page
/// (listing in window['_DRIVE_ivd'], JS-escaped), Drive's download endpoint with its large-file confirmation
/// form, and the Hugging Face resolve URL; Range requests answered with 206. Each behaviour a test needs
/// (a cut connection, a corrupted body, refusals) is a switch.
/// </summary>
sealed class FakeModelHosts : IDisposable
{
    public const string CheckpointId = "1AbCdEfGhIjKlMnOpQrStUvWxYz0123456";
    public const string ConfigId = "1ConfigConfigConfigConfigConfig0";
    public const string BassCheckpointId = "1BassBassBassBassBassBassBassBass0";
    readonly HttpListener listener = new();
    readonly Task serving;
    readonly Dictionary<string, byte[]> files;

    public FakeModelHosts(byte[] checkpoint, byte[] tokenizer, byte[] config)
    {
        files = new() { [CheckpointId] = checkpoint, [BassCheckpointId] = checkpoint, ["spiece"] = tokenizer, [ConfigId] = config };
        int port = FreePort();
        Address = new Uri($"http://127.0.0.1:{port}/");
        listener.Prefixes.Add(Address.ToString());
        listener.Start();
        serving = Task.Run(Serve);
    }

    public Uri Address { get; }

    /// <summary>Cut the connection after this many bytes of the checkpoint's body, once.</summary>
    public long? CutCheckpointAfter { get; set; }
    /// <summary>Flip one byte in the middle of the checkpoint's body.</summary>
    public bool CorruptCheckpoint { get; set; }
    /// <summary>Answer the checkpoint download with this status (403, 404…).</summary>
    public int? CheckpointStatus { get; set; }
    /// <summary>Answer the checkpoint download with Drive's quota page.</summary>
    public bool QuotaExceeded { get; set; }
    public string ListedName { get; set; } = "stage-drums.safetensors";

    public List<string> Ranges { get; } = [];
    public int ConfirmationPagesServed { get; private set; }

    async Task Serve()
    {
        while (listener.IsListening)
        {
            HttpListenerContext context;
            try { context = await listener.GetContextAsync(); }
            catch (Exception e) when (e is HttpListenerException or ObjectDisposedException or InvalidOperationException) { return; }
            try { Answer(context); }
            catch (Exception e) when (e is HttpListenerException or IOException) { }
        }
    }

    void Answer(HttpListenerContext context)
    {
        var request = context.Request;
        var response = context.Response;
        string path = request.Url!.AbsolutePath;
        string? id = request.QueryString["id"];
        if (path == "/drive/folders/1tNZsN3OYC8PGVklCRPkebPvS5QGX1w1q") { Html(response, FolderPage()); return; }
        if (path == "/google-t5/t5-base/resolve/main/spiece.model") { Body(context, files["spiece"], cut: null, corrupt: false); return; }
        if (path == "/download" && id != null && files.TryGetValue(id, out var bytes))
        {
            if (id == CheckpointId)
            {
                if (CheckpointStatus is { } status) { response.StatusCode = status; response.Close(); return; }
                if (QuotaExceeded) { Html(response, "<html><body>Sorry, you can't view or download this file at this time. Too many users have viewed or downloaded this file recently.</body></html>"); return; }
                if (request.QueryString["confirm"] != "t" || request.QueryString["uuid"] != "5f1e-77") { ConfirmationPagesServed++; Html(response, ConfirmationPage(id)); return; }
                long? cut = CutCheckpointAfter;
                CutCheckpointAfter = null;
                Body(context, bytes, cut, CorruptCheckpoint);
                return;
            }
            Body(context, bytes, cut: null, corrupt: false);
            return;
        }
        response.StatusCode = 404;
        response.Close();
    }

    string FolderPage()
    {
        string listing = $$"""[[["{{CheckpointId}}",["1tNZsN3OYC8PGVklCRPkebPvS5QGX1w1q"],"{{ListedName}}","application/octet-stream",null],["{{BassCheckpointId}}",["1tNZsN3OYC8PGVklCRPkebPvS5QGX1w1q"],"stage-bass.safetensors","application/octet-stream"],["{{ConfigId}}",["1tNZsN3OYC8PGVklCRPkebPvS5QGX1w1q"],"config.json","application/json"]],null,null,null,[],1]""";
        var escaped = new StringBuilder();
        foreach (char c in listing) escaped.Append(c is '"' or '[' or ']' or '/' ? $"\\x{(int)c:x2}" : c.ToString());
        return $"<html><head><title>STAGE - Google Drive</title></head><body><script nonce=\"x\">window['_DRIVE_ivd'] = '{escaped}';if (window['_DRIVE_ivdc']) {{window['_DRIVE_ivdc']();}}</script></body></html>";
    }

    static string ConfirmationPage(string id) => $"""
        <!DOCTYPE html><html><head><title>Google Drive - Virus scan warning</title></head><body>
        <p>Google Drive can't scan this file for viruses.</p>
        <form id="download-form" action="/download" method="get">
        <input type="submit" value="Download anyway"/>
        <input type="hidden" name="id" value="{id}"><input type="hidden" name="export" value="download">
        <input type="hidden" name="confirm" value="t"><input type="hidden" name="uuid" value="5f1e-77">
        </form></body></html>
        """;

    static void Html(HttpListenerResponse response, string html)
    {
        var bytes = Encoding.UTF8.GetBytes(html);
        response.ContentType = "text/html; charset=utf-8";
        response.ContentLength64 = bytes.Length;
        response.OutputStream.Write(bytes);
        response.Close();
    }

    void Body(HttpListenerContext context, byte[] bytes, long? cut, bool corrupt)
    {
        var response = context.Response;
        long from = 0;
        if (context.Request.Headers["Range"] is { } range)
        {
            lock (Ranges) Ranges.Add(range);
            from = long.Parse(range["bytes=".Length..].TrimEnd('-'));
            response.StatusCode = 206;
            response.AddHeader("Content-Range", $"bytes {from}-{bytes.Length - 1}/{bytes.Length}");
        }
        // As Google's storage front ends do: the whole object's MD5, also on a range answer.
        response.AddHeader("x-goog-hash", $"crc32c=AAAAAA==,md5={Convert.ToBase64String(System.Security.Cryptography.MD5.HashData(bytes))}");
        var body = bytes.AsSpan((int)from).ToArray();
        if (corrupt) body[body.Length / 2] ^= 0x5A;
        response.ContentType = "application/octet-stream";
        response.ContentLength64 = body.Length;
        if (cut is { } n && n < body.Length)
        {
            response.OutputStream.Write(body, 0, (int)n);
            response.OutputStream.Flush();
            response.Abort();   // the connection drops mid-body
            return;
        }
        response.OutputStream.Write(body);
        response.Close();
    }

    static int FreePort()
    {
        using var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        return ((IPEndPoint)probe.LocalEndpoint).Port;
    }

    public void Dispose()
    {
        listener.Stop();
        listener.Close();
        try { serving.Wait(TimeSpan.FromSeconds(5)); } catch (AggregateException) { }
    }
}
