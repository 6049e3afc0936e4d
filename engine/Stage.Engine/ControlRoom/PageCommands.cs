using System.Text.Json;
using Stage.Shared.Protocol;

namespace Stage.Engine.ControlRoom;

/// <summary>
/// Reads what the page posts into protocol messages, checking every value against what the plugin's
/// parameters can hold; anything else is refused with a <see cref="RoomException"/> naming the field.
/// </summary>
static class PageCommands
{
    public const int MaxBodyBytes = 16 * 1024;

    public static PromptSettings Settings(JsonElement body)
    {
        RequireObject(body);
        var s = new PromptSettings();
        foreach (var field in body.EnumerateObject())
        {
            var v = field.Value;
            s = field.Name switch
            {
                "prompt" => s with { Prompt = Text(v, "prompt", InstanceInfo.MaxPromptLength) },
                "temperature" => s with { Temperature = Number(v, "temperature", 0.05, 2.0) },
                "topK" => s with { TopK = (int)Integer(v, "topK", 1, 1000) },
                "guidance" => s with { Guidance = Number(v, "guidance", 1.0, 10.0) },
                "seed" => s with { Seed = Integer(v, "seed", 0, 9999) },
                "variations" => s with { Variations = (int)Integer(v, "variations", 1, 8) },
                _ => throw new RoomException(400, $"'{field.Name}' is not a setting (prompt, temperature, topK, guidance, seed, variations)"),
            };
        }
        return s;
    }

    public static VariationChoice Variation(JsonElement body)
    {
        RequireObject(body);
        if (!body.TryGetProperty("variation", out var v)) throw new RoomException(400, "'variation' is missing");
        return new VariationChoice((int)Integer(v, "variation", 1, 8));
    }

    public static long HistoryNumber(JsonElement body)
    {
        RequireObject(body);
        if (!body.TryGetProperty("number", out var v)) throw new RoomException(400, "'number' (the history entry) is missing");
        return Integer(v, "number", 1, long.MaxValue);
    }

    public static string FilePath(JsonElement body)
    {
        RequireObject(body);
        if (!body.TryGetProperty("path", out var v)) throw new RoomException(400, "'path' is missing");
        return Text(v, "path", 4096);
    }

    static void RequireObject(JsonElement body)
    {
        if (body.ValueKind != JsonValueKind.Object) throw new RoomException(400, $"the body must be a JSON object, not {body.ValueKind.ToString().ToLowerInvariant()}");
    }

    static string Text(JsonElement v, string name, int maxLength)
    {
        if (v.ValueKind != JsonValueKind.String) throw new RoomException(400, $"'{name}' must be text");
        string s = v.GetString()!;
        if (s.Length > maxLength) throw new RoomException(400, $"'{name}' is {s.Length} characters; at most {maxLength}");
        return s;
    }

    static double Number(JsonElement v, string name, double min, double max)
    {
        if (v.ValueKind != JsonValueKind.Number || !v.TryGetDouble(out double d) || !double.IsFinite(d))
            throw new RoomException(400, $"'{name}' must be a number");
        if (d < min || d > max) throw new RoomException(400, $"'{name}' {d} is outside {min}..{max}");
        return d;
    }

    static long Integer(JsonElement v, string name, long min, long max)
    {
        if (v.ValueKind != JsonValueKind.Number || !v.TryGetInt64(out long i)) throw new RoomException(400, $"'{name}' must be a whole number");
        if (i < min || i > max) throw new RoomException(400, $"'{name}' {i} is outside {min}..{max}");
        return i;
    }
}
