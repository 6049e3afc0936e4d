using System.Buffers;
using System.Net;
using System.Reflection;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Stage.Engine.Logging;
using Stage.Shared.Protocol;

namespace Stage.Engine.ControlRoom;

/// <summary>
/// Serves the control room (page and API) with Kestrel on 127.0.0.1 only.
/// <para>Every request must: name this engine's loopback address in Host (a DNS-rebinding page names its own
/// host), carry no foreign Origin (a page elsewhere cannot drive it), and start its path with /s/&lt;secret&gt;/,
/// a random per-run secret only the engine's user learns (printed at start, in the pipe's Welcome, in the URL
/// the engine opens). Files are served only from the stems folder; bodies are small JSON checked field by field.</para>
/// </summary>
public sealed class RoomServer : IAsyncDisposable
{
    readonly Room room;
    readonly EngineStatus status;
    readonly StemFolder stems;
    readonly EngineLog log;
    readonly string secret = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));
    WebApplication? app;

    RoomServer(Room room, EngineStatus status, EngineLog log)
    {
        this.room = room;
        this.status = status;
        this.log = log;
        stems = new StemFolder(status.StemsFolder);
    }

    public int Port { get; private set; }

    /// <summary>The cards the page shows, fed by the pipe sessions.</summary>
    public Room Room => room;

    /// <summary>The page's address, secret included: what the producer opens.</summary>
    public string Address => $"http://127.0.0.1:{Port}/s/{secret}/";

    public static async Task<RoomServer> StartAsync(Room room, EngineStatus status, int port, EngineLog log)
    {
        var server = new RoomServer(room, status, log);
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = [] });
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(o =>
        {
            o.Listen(IPAddress.Loopback, port);
            o.AddServerHeader = false;
            // Bodies over PageCommands.MaxBodyBytes are refused by the handler with a 413 the page can show; Kestrel's own
            // limit sits above it so that such a body can still be drained and the answer read (past it, the connection is cut).
            o.Limits.MaxRequestBodySize = 1 << 20;
        });
        var app = builder.Build();
        app.Run(server.HandleAsync);
        await app.StartAsync().ConfigureAwait(false);
        server.app = app;
        var address = app.Services.GetRequiredService<Microsoft.AspNetCore.Hosting.Server.IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        server.Port = new Uri(address).Port;
        return server;
    }

    public async ValueTask DisposeAsync()
    {
        if (app == null) return;
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(2));
        try { await app.StopAsync(timeout.Token).ConfigureAwait(false); } catch (OperationCanceledException) { }
        await app.DisposeAsync().ConfigureAwait(false);
        app = null;
    }

    async Task HandleAsync(HttpContext http)
    {
        var response = http.Response;
        response.Headers.CacheControl = "no-store";
        response.Headers["Referrer-Policy"] = "no-referrer";   // the secret is in the URL
        response.Headers["X-Content-Type-Options"] = "nosniff";
        response.Headers["X-Frame-Options"] = "DENY";
        try
        {
            if (Refusal(http.Request) is { } refused)
            {
                log.Warn($"control room: refused {http.Request.Method} from {http.Connection.RemoteIpAddress}: {refused.Message}");
                await ErrorAsync(response, refused.Status, refused.Message).ConfigureAwait(false);
                return;
            }
            string route = http.Request.Path.Value![(secret.Length + 4)..];   // after "/s/<secret>/"
            await RouteAsync(http, route).ConfigureAwait(false);
        }
        catch (RoomException e)
        {
            await ErrorAsync(response, e.Status, e.Message).ConfigureAwait(false);
        }
        catch (JsonException e)
        {
            await ErrorAsync(response, 400, $"the body is not valid JSON: {e.Message}").ConfigureAwait(false);
        }
        catch (BadHttpRequestException e)
        {
            await ErrorAsync(response, e.StatusCode, e.StatusCode == 413 ? $"the body is larger than {PageCommands.MaxBodyBytes} bytes" : e.Message).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (http.RequestAborted.IsCancellationRequested) { }
        catch (IOException) when (http.RequestAborted.IsCancellationRequested) { }
    }

    /// <summary>Why a request is refused before anything else looks at it, or null.</summary>
    RoomException? Refusal(HttpRequest request)
    {
        string host = request.Host.Value ?? "";
        if (host != $"127.0.0.1:{Port}" && host != $"localhost:{Port}")
            return new RoomException(421, $"Host '{host}' is not this engine's address (127.0.0.1:{Port})");
        if (request.Headers.Origin is { Count: > 0 } origin && origin.ToString() != $"http://127.0.0.1:{Port}" && origin.ToString() != $"http://localhost:{Port}")
            return new RoomException(403, $"requests from the page at '{origin}' are not accepted; only the control room itself may call it");
        if (request.Headers["Sec-Fetch-Site"].ToString() == "cross-site")
            return new RoomException(403, "cross-site requests are not accepted");
        string path = request.Path.Value ?? "";
        string prefix = $"/s/{secret}/";
        bool secretMatches = path.Length >= prefix.Length && path.StartsWith("/s/", StringComparison.Ordinal)
            && CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(path[..Math.Min(path.Length, prefix.Length)]), Encoding.ASCII.GetBytes(prefix));
        if (!secretMatches)
            return new RoomException(403, "the address lacks this engine's secret; open the control room from the plugin or with `stage-engine open`");
        return null;
    }

    async Task RouteAsync(HttpContext http, string route)
    {
        string method = http.Request.Method;
        var cancel = http.RequestAborted;
        switch (route)
        {
            case "" or "index.html" when method == "GET":
                await PageFileAsync(http.Response, "index.html", "text/html; charset=utf-8").ConfigureAwait(false);
                return;
            case "room.css" when method == "GET":
                await PageFileAsync(http.Response, "room.css", "text/css; charset=utf-8").ConfigureAwait(false);
                return;
            case "room.js" when method == "GET":
                await PageFileAsync(http.Response, "room.js", "text/javascript; charset=utf-8").ConfigureAwait(false);
                return;
            case "api/state" when method == "GET":
                await JsonAsync(http.Response, 200, WriteState).ConfigureAwait(false);
                return;
            case "api/events" when method == "GET":
                await EventsAsync(http.Response, cancel).ConfigureAwait(false);
                return;
            case "api/wav" when method == "GET":
                await WavAsync(http.Response, stems.Resolve(http.Request.Query["path"].ToString())).ConfigureAwait(false);
                return;
            case "api/reveal" when method == "POST":
            {
                string file = stems.Resolve(PageCommands.FilePath(await BodyAsync(http.Request).ConfigureAwait(false)));
                if (SystemOpener.Reveal(file) is { } problem) throw new RoomException(500, $"could not show the file: {problem}");
                log.Info($"control room: showed {file} in the file manager");
                await OkAsync(http.Response).ConfigureAwait(false);
                return;
            }
        }
        if (route.StartsWith("api/cards/", StringComparison.Ordinal) && method == "POST")
        {
            var parts = route["api/cards/".Length..].Split('/');
            if (parts.Length == 2)
            {
                await CardCommandAsync(http, Uri.UnescapeDataString(parts[0]), parts[1], cancel).ConfigureAwait(false);
                return;
            }
        }
        throw new RoomException(404, $"{method} /{route} is not part of the control room");
    }

    async Task CardCommandAsync(HttpContext http, string id, string action, CancellationToken cancel)
    {
        var body = await BodyAsync(http.Request).ConfigureAwait(false);
        switch (action)
        {
            case "settings":
                await room.SendAsync(id, PageCommands.Settings(body), cancel).ConfigureAwait(false);
                break;
            case "generate":
                // The page sends what is typed with the press, so the request carries it even if an edit was not yet sent.
                if (body.ValueKind == JsonValueKind.Object && body.EnumerateObject().Any())
                    await room.SendAsync(id, PageCommands.Settings(body), cancel).ConfigureAwait(false);
                await room.SendAsync(id, new RemotePress(RemoteAction.Generate), cancel).ConfigureAwait(false);
                break;
            case "cancel":
                await room.SendAsync(id, new RemotePress(RemoteAction.Cancel), cancel).ConfigureAwait(false);
                break;
            case "variation":
                await room.SendAsync(id, PageCommands.Variation(body), cancel).ConfigureAwait(false);
                break;
            case "restore":
            {
                long number = PageCommands.HistoryNumber(body);
                var card = room.Find(id) ?? throw new RoomException(404, $"no Stage instance '{id}' is known to this engine");
                HistoryEntry? entry;
                lock (card.Gate) entry = card.History.Find(h => h.Number == number);
                if (entry == null) throw new RoomException(404, $"this instance has no stem #{number} in its history");
                if (entry.Request.StemStartPpq is not { } start) throw new RoomException(409, $"stem #{number} was not placed on the timeline, so it cannot be restored");
                foreach (var path in entry.WavPaths) stems.Resolve(path);   // still there, still a stem
                await room.SendAsync(id, new StemRestore(entry.WavPaths, start, InstanceCard.LengthQuarters(entry.Request), entry.Request.OutputSampleRate), cancel).ConfigureAwait(false);
                room.Restored(card, entry);
                break;
            }
            default:
                throw new RoomException(404, $"'{action}' is not something a card does (settings, generate, cancel, variation, restore)");
        }
        log.Info($"control room: {action} for instance {id}");
        await OkAsync(http.Response).ConfigureAwait(false);
    }

    static async Task<JsonElement> BodyAsync(HttpRequest request)
    {
        if (request.ContentLength is > PageCommands.MaxBodyBytes)
            throw new RoomException(413, $"the body is larger than {PageCommands.MaxBodyBytes} bytes");
        if (request.ContentLength is 0 or null && !request.Headers.ContainsKey("Transfer-Encoding")) return default;
        if (request.ContentType is not { } type || !type.StartsWith("application/json", StringComparison.OrdinalIgnoreCase))
            throw new RoomException(415, "the body must be application/json");
        var buffer = new MemoryStream();
        var chunk = new byte[4096];
        int read;
        while ((read = await request.Body.ReadAsync(chunk, request.HttpContext.RequestAborted).ConfigureAwait(false)) > 0)
        {
            if (buffer.Length + read > PageCommands.MaxBodyBytes) throw new RoomException(413, $"the body is larger than {PageCommands.MaxBodyBytes} bytes");
            buffer.Write(chunk, 0, read);
        }
        using var document = JsonDocument.Parse(buffer.ToArray(), new JsonDocumentOptions { MaxDepth = 8 });
        return document.RootElement.Clone();
    }

    void WriteState(Utf8JsonWriter w)
    {
        w.WriteStartObject();
        w.WritePropertyName("engine");
        status.Write(w);
        w.WriteStartArray("cards");
        foreach (var card in room.Cards.OrderBy(c => c.Id, StringComparer.Ordinal)) CardJson.Write(w, card);
        w.WriteEndArray();
        w.WriteEndObject();
    }

    /// <summary>Server-sent events: "engine" once, then "card" with a card's whole JSON whenever it changed (a few per second at most).</summary>
    async Task EventsAsync(HttpResponse response, CancellationToken cancel)
    {
        response.ContentType = "text/event-stream";
        response.Headers["X-Accel-Buffering"] = "no";
        long sent = 0;
        await WriteEventAsync(response, "engine", status.Write, cancel).ConfigureAwait(false);
        while (!cancel.IsCancellationRequested)
        {
            var next = room.NextChange;
            long now = room.Version;
            foreach (var card in room.Cards)
                if (Volatile.Read(ref card.Version) > sent)
                    await WriteEventAsync(response, "card", w => CardJson.Write(w, card), cancel).ConfigureAwait(false);
            sent = now;
            // A comment line every 15 s finds a page that went away.
            var ping = Task.Delay(TimeSpan.FromSeconds(15), cancel);
            if (await Task.WhenAny(next, ping).ConfigureAwait(false) == ping)
            {
                await response.WriteAsync(": ping\n\n", cancel).ConfigureAwait(false);
                await response.Body.FlushAsync(cancel).ConfigureAwait(false);
                continue;
            }
            await Task.Delay(150, cancel).ConfigureAwait(false);   // gathers a burst of chunks into one update
        }
    }

    static async Task WriteEventAsync(HttpResponse response, string name, Action<Utf8JsonWriter> write, CancellationToken cancel)
    {
        var buffer = new System.Buffers.ArrayBufferWriter<byte>();
        buffer.Write(Encoding.ASCII.GetBytes($"event: {name}\ndata: "));
        using (var w = new Utf8JsonWriter(buffer)) write(w);
        buffer.Write("\n\n"u8);
        await response.Body.WriteAsync(buffer.WrittenMemory, cancel).ConfigureAwait(false);
        await response.Body.FlushAsync(cancel).ConfigureAwait(false);
    }

    static async Task WavAsync(HttpResponse response, string file)
    {
        response.ContentType = "audio/wav";
        response.Headers.ContentDisposition = $"attachment; filename=\"{Path.GetFileName(file).Replace("\"", "")}\"";
        response.ContentLength = new FileInfo(file).Length;
        await response.SendFileAsync(file).ConfigureAwait(false);
    }

    static async Task PageFileAsync(HttpResponse response, string name, string contentType)
    {
        response.ContentType = contentType;
        response.Headers.ContentSecurityPolicy =
            "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; media-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";
        using var stream = Assembly.GetExecutingAssembly().GetManifestResourceStream($"ControlRoom.Page.{name}")
            ?? throw new RoomException(500, $"the engine was built without its page file {name}");
        await stream.CopyToAsync(response.Body).ConfigureAwait(false);
    }

    static Task OkAsync(HttpResponse response) => JsonAsync(response, 200, w => { w.WriteStartObject(); w.WriteBoolean("ok", true); w.WriteEndObject(); });

    static Task ErrorAsync(HttpResponse response, int statusCode, string message)
    {
        if (response.HasStarted) return Task.CompletedTask;
        return JsonAsync(response, statusCode, w => { w.WriteStartObject(); w.WriteString("error", message); w.WriteEndObject(); });
    }

    static async Task JsonAsync(HttpResponse response, int statusCode, Action<Utf8JsonWriter> write)
    {
        var buffer = new System.Buffers.ArrayBufferWriter<byte>();
        using (var w = new Utf8JsonWriter(buffer)) write(w);
        response.StatusCode = statusCode;
        response.ContentType = "application/json; charset=utf-8";
        response.ContentLength = buffer.WrittenCount;
        await response.Body.WriteAsync(buffer.WrittenMemory).ConfigureAwait(false);
    }
}
