using System.Net.Http.Json;
using System.Text.Json;

namespace Stage.Daw.Tests;

/// <summary>What a producer does on the engine's control room page during a DAW test, through its HTTP API.</summary>
static class ControlRoomPage
{
    /// <summary>
    /// Waits for the one Stage instance's card, sets its prompt, waits until the plugin reports it back, and then
    /// creates <paramref name="readyMark"/> (the session plan waits for that file before it presses Generate).
    /// </summary>
    public static async Task SetPromptAsync(EngineServer engine, string prompt, string readyMark)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        string id = (await WaitForAsync(engine, http, c => c.GetProperty("connected").GetBoolean())).GetProperty("id").GetString()!;
        var response = await http.PostAsJsonAsync($"{engine.ControlRoomAddress}api/cards/{Uri.EscapeDataString(id)}/settings", new { prompt });
        response.EnsureSuccessStatusCode();
        await WaitForAsync(engine, http, c => c.GetProperty("info").GetProperty("prompt").GetString() == prompt);
        File.WriteAllText(readyMark, prompt);
    }

    public static async Task<JsonElement> CardAsync(EngineServer engine)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        return await WaitForAsync(engine, http, _ => true);
    }

    static async Task<JsonElement> WaitForAsync(EngineServer engine, HttpClient http, Func<JsonElement, bool> condition)
    {
        var deadline = DateTime.UtcNow.AddSeconds(90);
        while (true)
        {
            var state = JsonDocument.Parse(await http.GetStringAsync($"{engine.ControlRoomAddress}api/state")).RootElement;
            foreach (var card in state.GetProperty("cards").EnumerateArray())
                if (card.GetProperty("info").ValueKind == JsonValueKind.Object && condition(card)) return card;
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"no Stage card on the control room met the condition: {state}");
            await Task.Delay(200);
        }
    }
}
