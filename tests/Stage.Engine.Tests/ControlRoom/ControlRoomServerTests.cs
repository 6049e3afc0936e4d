using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Stage.Engine.ControlRoom;
using Stage.Engine.Jobs;
using Stage.Shared.Audio;
using Stage.Shared.Protocol;

namespace Stage.Engine.Tests.ControlRoom;

/// <summary>
/// The control room's server on a real loopback port with a real pipe server behind it: what the page may do,
/// what it may not (wrong secret, foreign Origin or Host, files outside the stems folder, bad input), and that
/// commands reach the plugin instance while its reports and requests reach the page.
/// </summary>
public sealed class ControlRoomServerTests : IAsyncLifetime
{
    readonly string stems = Path.Combine(Path.GetTempPath(), $"stage-room-tests-{Guid.NewGuid():N}", "stems");
    RoomServer room = null!;
    TestServer pipe = null!;
    readonly HttpClient http = new() { Timeout = TimeSpan.FromSeconds(20) };

    public async Task InitializeAsync()
    {
        Directory.CreateDirectory(stems);
        var log = new Stage.Engine.Logging.EngineLog(TextWriter.Null);
        room = await RoomServer.StartAsync(new Room(), new EngineStatus("test", "cpu (test)", Path.Combine(stems, "..", "models"), stems), 0, log);
        pipe = await TestServer.StartAsync(new WavWritingGenerator(stems), room: room);
    }

    public async Task DisposeAsync()
    {
        await pipe.DisposeAsync();
        await room.DisposeAsync();
        http.Dispose();
        Directory.Delete(Path.GetDirectoryName(stems)!, recursive: true);
    }

    string Api(string path) => room.Address + path;

    static StringContent Json(string json) => new(json, Encoding.UTF8, "application/json");

    static async Task<(HttpStatusCode Status, string Error)> Refusal(HttpResponseMessage response)
    {
        string body = await response.Content.ReadAsStringAsync();
        using var doc = JsonDocument.Parse(body);
        return (response.StatusCode, doc.RootElement.GetProperty("error").GetString()!);
    }

    /// <summary>A plugin instance's control connection: says who it is, then waits for the page's commands.</summary>
    async Task<EngineClient> ConnectInstanceAsync(string id, string track = "Bass DI")
    {
        var client = await pipe.ConnectAsync("Stage VST3 (control room)");
        await client.SendAsync(new InstanceInfo { InstanceId = id, TrackName = track, TrackColour = 0xFF10A050, TempoBpm = 96, Prompt = "warm" });
        await Until(async () => (await http.GetStringAsync(Api("api/state"))).Contains(track));
        return client;
    }

    static async Task Until(Func<Task<bool>> condition)
    {
        for (int i = 0; i < 200; i++)
        {
            if (await condition()) return;
            await Task.Delay(50);
        }
        throw new TimeoutException("the condition did not come true within 10 s");
    }

    static async Task AssertNothingArrives(EngineClient client)
    {
        using var quiet = new CancellationTokenSource(TimeSpan.FromMilliseconds(500));
        try
        {
            var message = await client.ReceiveAsync(quiet.Token);
            Assert.Fail($"the plugin received {message?.Type}, but the page's request was refused");
        }
        catch (OperationCanceledException) { }
    }

    [Fact]
    public async Task The_page_is_served_only_with_the_secret_from_this_engine_s_own_address_and_origin()
    {
        var page = await http.GetAsync(room.Address);
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.Contains("Stage", await page.Content.ReadAsStringAsync());
        Assert.Contains("script-src 'self'", page.Headers.GetValues("Content-Security-Policy").Single());
        Assert.Equal("no-referrer", page.Headers.GetValues("Referrer-Policy").Single());
        Assert.StartsWith("http://127.0.0.1:", room.Address);

        await using var plugin = await ConnectInstanceAsync("a1");
        string root = $"http://127.0.0.1:{room.Port}";
        string wrongSecret = $"{root}/s/{new string('0', 32)}/api/cards/a1/generate";
        var (status, error) = await Refusal(await http.PostAsync(wrongSecret, Json("{}")));
        Assert.Equal(HttpStatusCode.Forbidden, status);
        Assert.Contains("secret", error);
        Assert.Equal(HttpStatusCode.Forbidden, (await http.GetAsync($"{root}/api/state")).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await http.GetAsync($"{root}/s/")).StatusCode);

        // A page elsewhere on the web that learned the address still cannot drive it.
        var foreign = new HttpRequestMessage(HttpMethod.Post, Api("api/cards/a1/generate")) { Content = Json("{}") };
        foreign.Headers.Add("Origin", "https://evil.example");
        (status, error) = await Refusal(await http.SendAsync(foreign));
        Assert.Equal(HttpStatusCode.Forbidden, status);
        Assert.Contains("https://evil.example", error);

        // DNS rebinding: the browser sends the attacker's host name.
        var rebound = new HttpRequestMessage(HttpMethod.Post, Api("api/cards/a1/generate")) { Content = Json("{}") };
        rebound.Headers.Host = $"evil.example:{room.Port}";
        (status, error) = await Refusal(await http.SendAsync(rebound));
        Assert.Equal(HttpStatusCode.MisdirectedRequest, status);
        Assert.Contains("evil.example", error);

        await AssertNothingArrives(plugin);

        // The page's own origin is fine.
        var own = new HttpRequestMessage(HttpMethod.Post, Api("api/cards/a1/generate")) { Content = Json("{}") };
        own.Headers.Add("Origin", $"http://127.0.0.1:{room.Port}");
        Assert.Equal(HttpStatusCode.OK, (await http.SendAsync(own)).StatusCode);
        Assert.Equal(new RemotePress(RemoteAction.Generate), await plugin.NextAsync());
    }

    [Fact]
    public async Task Files_are_reachable_only_inside_the_stems_folder()
    {
        string stem = Path.Combine(stems, "drums-1.wav");
        WavWriter.Write(stem, new AudioBuffer([new float[480]], 48_000), WavSampleFormat.Float32);
        var ok = await http.GetAsync(Api($"api/wav?path={Uri.EscapeDataString(stem)}"));
        Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
        Assert.Equal(File.ReadAllBytes(stem), await ok.Content.ReadAsByteArrayAsync());

        string outside = Path.Combine(Path.GetDirectoryName(stems)!, "secret.wav");
        File.Copy(stem, outside);
        File.WriteAllText(Path.Combine(stems, "notes.txt"), "not a stem");
        File.CreateSymbolicLink(Path.Combine(stems, "link.wav"), outside);
        foreach (var (path, expected) in new[]
                 {
                     ("/etc/passwd", "outside the stems folder"),
                     (outside, "outside the stems folder"),
                     (Path.Combine(stems, "..", "secret.wav"), "outside the stems folder"),
                     (Path.Combine(stems, "notes.txt"), "not a WAV file"),
                     (Path.Combine(stems, "link.wav"), "links outside the stems folder"),
                 })
        {
            var (status, error) = await Refusal(await http.GetAsync(Api($"api/wav?path={Uri.EscapeDataString(path)}")));
            Assert.Equal(HttpStatusCode.Forbidden, status);
            Assert.Contains(expected, error);
            (status, error) = await Refusal(await http.PostAsync(Api("api/reveal"), Json(JsonSerializer.Serialize(new Dictionary<string, string> { ["path"] = path }))));
            Assert.Equal(HttpStatusCode.Forbidden, status);
            Assert.Contains(expected, error);
        }
        var (missing, why) = await Refusal(await http.GetAsync(Api($"api/wav?path={Uri.EscapeDataString(Path.Combine(stems, "gone.wav"))}")));
        Assert.Equal(HttpStatusCode.NotFound, missing);
        Assert.Contains("no longer exists", why);
    }

    [Fact]
    public async Task Bad_or_oversized_input_from_the_page_gets_a_clear_error_and_changes_nothing()
    {
        await using var plugin = await ConnectInstanceAsync("b2");
        foreach (var (body, status, expected) in new[]
                 {
                     ("{\"prompt\": ", HttpStatusCode.BadRequest, "not valid JSON"),
                     ("[1, 2]", HttpStatusCode.BadRequest, "must be a JSON object"),
                     ("{\"prompt\": 5}", HttpStatusCode.BadRequest, "'prompt' must be text"),
                     ($"{{\"prompt\": \"{new string('a', 2001)}\"}}", HttpStatusCode.BadRequest, "'prompt' is 2001 characters"),
                     ("{\"temperature\": 9}", HttpStatusCode.BadRequest, "'temperature' 9 is outside 0.05..2"),
                     ("{\"seed\": 1.5}", HttpStatusCode.BadRequest, "'seed' must be a whole number"),
                     ("{\"volume\": 1}", HttpStatusCode.BadRequest, "'volume' is not a setting"),
                     ($"{{\"prompt\": \"{new string('a', 20_000)}\"}}", HttpStatusCode.RequestEntityTooLarge, "larger than"),
                 })
        {
            var (got, error) = await Refusal(await http.PostAsync(Api("api/cards/b2/settings"), Json(body)));
            Assert.Equal(status, got);
            Assert.Contains(expected, error);
        }
        var (wrongType, typeError) = await Refusal(await http.PostAsync(Api("api/cards/b2/settings"), new StringContent("prompt=x", Encoding.UTF8, "application/x-www-form-urlencoded")));
        Assert.Equal(HttpStatusCode.UnsupportedMediaType, wrongType);
        Assert.Contains("application/json", typeError);
        var (badVariation, variationError) = await Refusal(await http.PostAsync(Api("api/cards/b2/variation"), Json("{\"variation\": 9}")));
        Assert.Equal(HttpStatusCode.BadRequest, badVariation);
        Assert.Contains("'variation' 9 is outside 1..8", variationError);
        var (unknown, unknownError) = await Refusal(await http.PostAsync(Api("api/cards/nobody/generate"), Json("{}")));
        Assert.Equal(HttpStatusCode.NotFound, unknown);
        Assert.Contains("no Stage instance 'nobody'", unknownError);
        var (action, actionError) = await Refusal(await http.PostAsync(Api("api/cards/b2/explode"), Json("{}")));
        Assert.Equal(HttpStatusCode.NotFound, action);
        Assert.Contains("'explode' is not something a card does", actionError);
        var (history, historyError) = await Refusal(await http.PostAsync(Api("api/cards/b2/restore"), Json("{\"number\": 3}")));
        Assert.Equal(HttpStatusCode.NotFound, history);
        Assert.Contains("no stem #3", historyError);
        await AssertNothingArrives(plugin);
    }

    [Fact]
    public async Task The_page_drives_the_instance_and_sees_its_reports_requests_and_history()
    {
        var plugin = await ConnectInstanceAsync("c3", "Bass DI");
        var state = JsonDocument.Parse(await http.GetStringAsync(Api("api/state"))).RootElement;
        var card = state.GetProperty("cards").EnumerateArray().Single();
        Assert.True(card.GetProperty("connected").GetBoolean());
        Assert.Equal("#10a050", card.GetProperty("info").GetProperty("trackColour").GetString());
        Assert.Equal("warm", card.GetProperty("info").GetProperty("prompt").GetString());
        Assert.Equal("drums", state.GetProperty("engine").GetProperty("models")[0].GetProperty("instrument").GetString());
        Assert.False(state.GetProperty("engine").GetProperty("models")[0].GetProperty("installed").GetBoolean());

        Assert.Equal(HttpStatusCode.OK, (await http.PostAsync(Api("api/cards/c3/settings"), Json("{\"prompt\": \"round sub bass\", \"seed\": 12, \"variations\": 2}"))).StatusCode);
        Assert.Equal(new PromptSettings { Prompt = "round sub bass", Seed = 12, Variations = 2 }, await plugin.NextAsync());
        Assert.Equal(HttpStatusCode.OK, (await http.PostAsync(Api("api/cards/c3/generate"), Json("{}"))).StatusCode);
        Assert.Equal(new RemotePress(RemoteAction.Generate), await plugin.NextAsync());
        Assert.Equal(HttpStatusCode.OK, (await http.PostAsync(Api("api/cards/c3/variation"), Json("{\"variation\": 2}"))).StatusCode);
        Assert.Equal(new VariationChoice(2), await plugin.NextAsync());
        Assert.Equal(HttpStatusCode.OK, (await http.PostAsync(Api("api/cards/c3/cancel"), Json("{}"))).StatusCode);
        Assert.Equal(new RemotePress(RemoteAction.Cancel), await plugin.NextAsync());

        // The plugin's request (on its own connection) is drawn on the card and lands in its history.
        await using (var requests = await pipe.ConnectAsync("Stage VST3"))
        {
            var request = Requests.Echo(1, seconds: 2, prompt: "round sub bass") with { InstanceId = "c3", StemStartPpq = 16, Variations = 2, Seed = 12 };
            await requests.SendAsync(request);
            var (final, _, _) = await Requests.CollectAsync(requests, 1);
            Assert.IsType<Completed>(final);
        }
        await Until(async () => JsonDocument.Parse(await http.GetStringAsync(Api("api/state"))).RootElement
            .GetProperty("cards")[0].GetProperty("history").GetArrayLength() == 1);
        card = JsonDocument.Parse(await http.GetStringAsync(Api("api/state"))).RootElement.GetProperty("cards")[0];
        var job = card.GetProperty("job");
        Assert.Equal("done", job.GetProperty("state").GetString());
        Assert.Equal(2, job.GetProperty("variations").GetArrayLength());
        var peaks = Convert.FromBase64String(job.GetProperty("variations")[0].GetString()!);
        Assert.Contains(peaks, b => b != 0);   // the streamed audio was drawn
        Assert.NotEqual(JsonValueKind.Null, job.GetProperty("context").ValueKind);
        Assert.Equal(16, job.GetProperty("startPpq").GetDouble());
        var entry = card.GetProperty("history")[0];
        Assert.Equal("round sub bass", entry.GetProperty("prompt").GetString());
        Assert.Equal(12, entry.GetProperty("seed").GetInt64());
        var wavs = entry.GetProperty("wavPaths").EnumerateArray().Select(p => p.GetString()!).ToArray();

        // Restoring it sends the plugin its WAVs and their place.
        Assert.Equal(HttpStatusCode.OK, (await http.PostAsync(Api("api/cards/c3/restore"), Json("{\"number\": 1}"))).StatusCode);
        var restore = Assert.IsType<StemRestore>(await plugin.NextAsync());
        Assert.Equal(wavs, restore.WavPaths);
        Assert.Equal(16, restore.StartPpq);
        Assert.Equal(16, restore.LengthQuarters);   // 4 bars of 4/4

        // A vanished plugin: the card stays, marked not connected, and commands get a clear refusal.
        await plugin.DisposeAsync();
        await Until(async () => (await http.GetStringAsync(Api("api/state"))).Contains("\"connected\":false"));
        var (status, error) = await Refusal(await http.PostAsync(Api("api/cards/c3/generate"), Json("{}")));
        Assert.Equal(HttpStatusCode.Conflict, status);
        Assert.Contains("not connected", error);
    }

    [Fact]
    public async Task The_event_stream_sends_the_engine_then_every_changed_card()
    {
        using var events = await http.GetStreamAsync(Api("api/events"));
        using var reader = new StreamReader(events);
        Assert.Equal("event: engine", await reader.ReadLineAsync());
        await reader.ReadLineAsync();   // its data
        await reader.ReadLineAsync();   // the blank line
        await using var plugin = await ConnectInstanceAsync("d4", "Kick");
        string? line;
        while ((line = await reader.ReadLineAsync()) != null && !line.StartsWith("data: ", StringComparison.Ordinal)) { }
        Assert.Contains("\"trackName\":\"Kick\"", line);
    }

    /// <summary>Streams two variations of a quiet tone and writes them as WAVs in the stems folder.</summary>
    sealed class WavWritingGenerator(string stems) : IStemGenerator
    {
        public async Task<StemResult> GenerateAsync(GenerateRequest request, IStemSink sink, CancellationToken cancel)
        {
            int frames = 9_600;
            var paths = new List<string>();
            for (int v = 0; v < request.Variations; v++)
            {
                var samples = new float[frames * 2];
                for (int i = 0; i < samples.Length; i++) samples[i] = 0.5f * MathF.Sin(i * (v + 1) * 0.01f);
                await sink.ReportProgressAsync((v + 0.5) / request.Variations, "decoding", 1, cancel);
                await sink.SendChunkAsync(v, 0, new PcmAudio(samples, 48_000, 2), cancel);
                string path = Path.Combine(stems, $"stem-{request.RequestId}-{v + 1}.wav");
                WavWriter.Write(path, new AudioBuffer([samples[..frames], samples[..frames]], 48_000), WavSampleFormat.Float32);
                paths.Add(path);
            }
            return new StemResult(request.Variations, frames, paths);
        }
    }
}
