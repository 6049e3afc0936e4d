using System.Text.Json;
using Microsoft.Playwright;
using Stage.Plugin.Processing;
using Stage.Plugin.Tests.Host;
using Stage.Shared.Audio;
using Xunit.Abstractions;
using static Microsoft.Playwright.Assertions;

namespace Stage.Plugin.Tests.ControlRoom;

/// <summary>
/// The control room as a producer uses it: Debian's chromium (headless, driven by Playwright) on the page of a
/// real `stage-engine serve` with the tiny fixture model, and a real Stage instance (the published NativeAOT
/// binary) in the C# test host playing a song. Screenshots go to artifacts/control-room/.
/// </summary>
[Collection("Host")]
public sealed class ControlRoomBrowserTests(ITestOutputHelper output) : IDisposable
{
    const uint Variation = 4, Variations = 5, Seed = 9, OpenRoom = 15;
    static readonly string Artifacts = Path.Combine(Repository.Root, "artifacts", "control-room");
    const string Chromium = "/usr/bin/chromium";

    public void Dispose() => HostEnvironment.KillEngines();

    [Fact]
    public async Task A_producer_prompts_generates_auditions_cancels_and_takes_the_stem_from_the_page()
    {
        Assert.True(File.Exists(Chromium), $"{Chromium} is missing: bash tests/setup.sh installs Debian's chromium");
        Directory.CreateDirectory(Artifacts);
        using var engine = new RealEngine();
        var stage = new HostedStage(HostLoop.Rate);
        var handler = new HostComponentHandler();
        stage.SetComponentHandler(handler);
        stage.SetChannelContext("Drums bus", 0xFF3366CCu);
        stage.Automate(HostedStage.Bars, stage.ToNormalized(HostedStage.Bars, 1));   // 2 bars: 4 s at 120 BPM
        using var playwright = await Playwright.CreateAsync();
        await using var browser = await playwright.Chromium.LaunchAsync(new() { ExecutablePath = Chromium, Headless = true, Args = ["--no-sandbox"] });
        var loop = new HostLoop(stage);
        IPage? shown = null;
        try
        {
            var page = await browser.NewPageAsync(new() { ViewportSize = new() { Width = 1280, Height = 1000 } });
            SetDefaultExpectTimeout(60_000);
            shown = page;
            await page.GotoAsync(engine.Address);

            // The card: the host's track, connected, with the song's tempo and the captured bars.
            var card = page.Locator(".card");
            await Expect(card).ToHaveCountAsync(1);
            await Expect(card.Locator(".track")).ToHaveTextAsync("Drums bus");
            await Expect(card.Locator(".link")).ToHaveTextAsync("● connected");
            Assert.Equal("rgb(51, 102, 204)", await card.Locator(".swatch").EvaluateAsync<string>("e => getComputedStyle(e).backgroundColor"));
            await Expect(card.Locator(".meta")).ToContainTextAsync("120 BPM 4/4");
            await Expect(card.Locator(".meta")).ToContainTextAsync("captured");
            await Expect(page.Locator(".model").First).ToContainTextAsync("drums: installed");
            await page.ScreenshotAsync(new() { Path = Path.Combine(Artifacts, "1-connected.png"), FullPage = true });

            // Prompt, seed and two variations; Generate; progress and the streamed waveforms show up.
            await card.Locator(".prompt").FillAsync("tight funk drums, ghost notes");
            await card.Locator("summary", new() { HasText = "Advanced" }).ClickAsync();
            await card.Locator("input.seed").FillAsync("7");
            await card.Locator("input.seed").DispatchEventAsync("change");
            await card.Locator("input.variations").FillAsync("2");
            await card.Locator("input.variations").DispatchEventAsync("change");
            await Task.Delay(600);   // the prompt's debounced save
            loop.WatchForStem();
            await card.Locator("button.generate").ClickAsync();
            await Expect(card.Locator(".lane.variation")).ToHaveCountAsync(2);
            await Expect(card.Locator(".history li")).ToHaveCountAsync(1);
            await Expect(card.Locator(".status")).ToContainTextAsync("Stem ready");
            await Expect(card.Locator(".lane.selected")).ToContainTextAsync("Variation 1");
            var first = await WavPaths(card);
            Assert.Equal(2, first.Length);
            double? heard = null;
            for (int i = 0; i < 100 && (heard = loop.StemHeardAfter) == null; i++) await Task.Delay(100);
            Assert.NotNull(heard);
            output.WriteLine($"Generate pressed on the page -> first stem audio out of the plugin: {heard:0.000} s");
            File.WriteAllText(Path.Combine(Artifacts, "first-audio.txt"), $"{heard:0.000} s from pressing Generate on the page to the first stem audio out of the plugin (tiny model, 2 bars at 120 BPM, 2 variations)\n");
            await page.ScreenshotAsync(new() { Path = Path.Combine(Artifacts, "2-generated.png"), FullPage = true });

            // The prompt reached the engine: the same seed with another prompt gives other audio, and the first prompt again the same.
            await card.Locator(".prompt").FillAsync("slow jazz brushes");
            await card.Locator("button.generate").ClickAsync();
            await Expect(card.Locator(".history li")).ToHaveCountAsync(2);
            var second = await WavPaths(card);
            await card.Locator(".picks button", new() { HasText = "tight funk drums, ghost notes" }).ClickAsync();
            await Expect(card.Locator(".prompt")).ToHaveValueAsync("tight funk drums, ghost notes");
            await card.Locator("button.generate").ClickAsync();
            await Expect(card.Locator(".history li")).ToHaveCountAsync(3);
            var third = await WavPaths(card);
            Assert.NotEqual(Samples(first[0]), Samples(second[0]));
            Assert.Equal(Samples(first[0]), Samples(third[0]));

            // Audition: variation 2 chosen on the page is what the plugin plays, and the host was told (performEdit).
            await card.Locator(".lane.variation").Nth(1).ClickAsync();
            await Expect(card.Locator(".lane.selected")).ToContainTextAsync("Variation 2");
            double two = stage.ToNormalized(Variation, 2);
            await Until(() => handler.Calls.Any(c => c.Call == "perform" && c.Id == Variation && Math.Abs(c.Value - two) < 1e-9), "performEdit(Variation, 2)");
            Assert.Contains(handler.Calls, c => c.Call == "perform" && c.Id == Seed);   // the seed typed on the page went to the host too
            var played = PlayedAt(loop, third, 48_000);
            var v2 = Samples(third[1]).AsSpan(48_000 + 4_800, 4_800).ToArray();
            var v1 = Samples(third[0]).AsSpan(48_000 + 4_800, 4_800).ToArray();
            Assert.True(MaxDifference(played, v2) < 1e-5, $"the plugin does not play variation 2 (max difference {MaxDifference(played, v2)})");
            Assert.True(MaxDifference(played, v1) > 1e-3, "variations 1 and 2 sound the same, so the check proves nothing");
            await page.Keyboard.PressAsync("x");   // A/B: back to variation 1
            await Expect(card.Locator(".lane.selected")).ToContainTextAsync("Variation 1");
            await page.Keyboard.PressAsync("x");
            await Expect(card.Locator(".lane.selected")).ToContainTextAsync("Variation 2");
            await page.ScreenshotAsync(new() { Path = Path.Combine(Artifacts, "3-variation-2.png"), FullPage = true });

            // Cancel mid-way: a long request (8 variations) stopped from the page.
            await card.Locator("input.variations").FillAsync("8");
            await card.Locator("input.variations").DispatchEventAsync("change");
            await card.Locator("button.generate").ClickAsync();
            await Expect(card.Locator("button.cancel")).ToBeEnabledAsync();
            await page.ScreenshotAsync(new() { Path = Path.Combine(Artifacts, "4-generating.png"), FullPage = true });
            await card.Locator("button.cancel").ClickAsync();
            await Expect(card.Locator(".status")).ToContainTextAsync("cancelled");
            await Expect(card.Locator(".history li")).ToHaveCountAsync(3);
            await Expect(card.Locator(".lane.variation")).ToHaveCountAsync(2);   // back to the stem the plugin still plays

            // Take it: the WAV downloads from the page.
            var download = await page.RunAndWaitForDownloadAsync(() => card.Locator(".files li").First.Locator("a", new() { HasText = "Download" }).ClickAsync());
            string downloaded = Path.Combine(Artifacts, "downloaded.wav");
            await download.SaveAsAsync(downloaded);
            Assert.Equal(File.ReadAllBytes(third[0]), File.ReadAllBytes(downloaded));
            await card.Locator(".files li").First.Locator("button").ClickAsync();
            await Until(() => File.Exists(engine.Opened) && File.ReadAllText(engine.Opened).Contains($"reveal {third[0]}"), "the engine showing the stem in the file manager");

            // History: restoring the second stem puts its WAVs back into the plugin.
            await card.Locator(".history-box summary").ClickAsync();
            await card.Locator(".history li").Nth(1).Locator("button").ClickAsync();
            await Until(() => StateOf(loop).Stem?.WavPaths[0] == second[0], "the plugin holding the restored stem");
            await Expect(card.Locator(".status")).ToContainTextAsync("restored stem #2");
            Assert.Equal(second, await WavPaths(card));

            // Reload: the card comes back with the prompt and the history.
            await page.ReloadAsync();
            await Expect(card.Locator(".prompt")).ToHaveValueAsync("tight funk drums, ghost notes");
            await Expect(card.Locator(".history li")).ToHaveCountAsync(3);

            // "Open control room" on the plugin asks the engine to open the page, and Status names the address.
            loop.Run(s => { s.Automate(OpenRoom, 1); return 0; });
            await Until(() => File.Exists(engine.Opened) && File.ReadAllText(engine.Opened).Contains($"page {engine.Address}"), "the engine opening the page");
            await Until(() => loop.Run(s => s.StatusText).Contains(engine.Address), "Status naming the page's address");

            // Project recall: the prompt is in the plugin's state, and a reopened instance shows it on the same card.
            var state = loop.Run(s => s.GetState());
            Assert.Equal("tight funk drums, ghost notes", PluginState.Deserialize(state).Prompt);
            loop.Dispose();
            stage.Close();
            await Expect(card.Locator(".link")).ToHaveTextAsync("● not connected");
            stage = new HostedStage(HostLoop.Rate);
            Assert.Equal(0, stage.SetState(state));
            loop = new HostLoop(stage);
            await Expect(card.Locator(".link")).ToHaveTextAsync("● connected");
            await Expect(card).ToHaveCountAsync(1);
            await Expect(card.Locator(".prompt")).ToHaveValueAsync("tight funk drums, ghost notes");
            await page.ScreenshotAsync(new() { Path = Path.Combine(Artifacts, "5-reopened.png"), FullPage = true });
        }
        catch
        {
            if (shown != null) await shown.ScreenshotAsync(new() { Path = Path.Combine(Artifacts, "failure.png"), FullPage = true });
            output.WriteLine(engine.Errors);
            if (File.Exists(HostEnvironment.PluginLog)) output.WriteLine(string.Join('\n', File.ReadLines(HostEnvironment.PluginLog).TakeLast(30)));
            throw;
        }
        finally
        {
            loop.Dispose();
            stage.Dispose();
        }
    }

    static async Task<string[]> WavPaths(ILocator card) =>
        (await card.Locator(".files a.file").EvaluateAllAsync<string[]>("links => links.map(a => a.title)"));

    static float[] Samples(string wav) => WavReader.Read(wav).Channel(0);

    static PluginState StateOf(HostLoop loop) => PluginState.Deserialize(loop.Run(s => s.GetState()));

    /// <summary>What the plugin outputs (left, input silent) 4800 frames after <paramref name="frame"/> of the stem.</summary>
    static float[] PlayedAt(HostLoop loop, string[] wavs, long frame)
    {
        var stem = StateOf(loop).Stem ?? throw new InvalidOperationException("the plugin holds no stem");
        Assert.Equal(wavs[0], stem.WavPaths[0]);
        return loop.Run(s =>
        {
            long start = (long)Math.Round(stem.StartPpq * 60 / HostLoop.Tempo * HostLoop.Rate) + frame;
            var silence = new float[4_800];
            s.Automate(HostedStage.Capture, 0);   // the jump there and back must not restart the capture
            s.Process(silence, silence, new HostTransport(start, HostLoop.Tempo, SampleRate: HostLoop.Rate));
            var played = s.Process(silence, silence, new HostTransport(start + 4_800, HostLoop.Tempo, SampleRate: HostLoop.Rate)).L;
            s.Automate(HostedStage.Capture, 1);
            return played;
        });
    }

    static float MaxDifference(float[] a, float[] b)
    {
        float max = 0;
        for (int i = 0; i < a.Length; i++) max = Math.Max(max, Math.Abs(a[i] - b[i]));
        return max;
    }

    static async Task Until(Func<bool> condition, string what)
    {
        for (int i = 0; i < 300; i++)
        {
            if (condition()) return;
            await Task.Delay(100);
        }
        throw new TimeoutException($"waited 30 s for {what}");
    }
}
