using System.Text.Json;
using Stage.Shared.Protocol;

namespace Stage.Engine.ControlRoom;

/// <summary>How a card looks to the page, as JSON (written by hand: no reflection, and the field names are the page's).</summary>
static class CardJson
{
    public static void Write(Utf8JsonWriter w, InstanceCard card)
    {
        lock (card.Gate)
        {
            w.WriteStartObject();
            w.WriteString("id", card.Id);
            w.WriteBoolean("connected", card.Send != null);
            if (card.Info is { } i)
            {
                w.WriteStartObject("info");
                w.WriteString("trackName", i.TrackName);
                // Alpha 0 is how hosts (Ardour) say "no colour".
                if (i.TrackColour is { } colour && colour >> 24 != 0) w.WriteString("trackColour", $"#{colour & 0xFFFFFF:x6}"); else w.WriteNull("trackColour");
                w.WriteString("instrument", InstrumentName.Of(i.Instrument));
                w.WriteString("contextMode", ContextModeName.Of(i.ContextMode));
                w.WriteNumber("bars", i.Bars);
                w.WriteNumber("tempoBpm", i.TempoBpm);
                w.WriteString("meter", $"{i.TimeSignature.Numerator}/{i.TimeSignature.Denominator}");
                w.WriteNumber("sampleRate", i.SampleRate);
                w.WriteNumber("capturedBars", i.CapturedBars);
                w.WriteNumber("capturedFirstBar", i.CapturedFirstBar);
                w.WriteBoolean("playing", i.Playing);
                w.WriteString("prompt", i.Prompt);
                w.WriteNumber("temperature", i.Temperature);
                w.WriteNumber("topK", i.TopK);
                w.WriteNumber("guidance", i.Guidance);
                w.WriteNumber("seed", i.Seed);
                w.WriteNumber("variations", i.Variations);
                w.WriteNumber("variation", i.Variation);
                w.WriteString("status", i.Status);
                WriteStrings(w, "stemWavPaths", i.StemWavPaths);
                w.WriteEndObject();
            }
            else w.WriteNull("info");

            w.WriteStartObject("job");
            w.WriteNumber("requestId", card.RequestId);
            w.WriteString("state", card.State.ToString().ToLowerInvariant());
            w.WriteNumber("fraction", card.Fraction);
            w.WriteString("step", card.Step);
            if (card.EtaSeconds is { } eta) w.WriteNumber("etaSeconds", eta); else w.WriteNull("etaSeconds");
            w.WriteString("message", card.Message);
            if (card.FirstAudioSeconds is { } first) w.WriteNumber("firstAudioSeconds", first); else w.WriteNull("firstAudioSeconds");
            if (card.TotalSeconds is { } total) w.WriteNumber("totalSeconds", total); else w.WriteNull("totalSeconds");
            if (card.Request is { } r)
            {
                w.WriteString("prompt", r.Prompt);
                if (r.Seed is { } seed) w.WriteNumber("seed", seed); else w.WriteNull("seed");
                w.WriteNumber("bars", InstanceCard.LengthBars(r));
                w.WriteNumber("quartersPerBar", InstanceCard.QuartersPerBar(r.TimeSignature));
                if (r.StemStartPpq is { } start) w.WriteNumber("startPpq", start); else w.WriteNull("startPpq");
            }
            if (card.Context is { } context) w.WriteString("context", context.Encode()); else w.WriteNull("context");
            w.WriteStartArray("variations");
            foreach (var v in card.Variations) w.WriteStringValue(v.Encode());
            w.WriteEndArray();
            WriteStrings(w, "wavPaths", card.WavPaths);
            w.WriteEndObject();

            w.WriteStartArray("history");
            foreach (var h in card.History)
            {
                w.WriteStartObject();
                w.WriteNumber("number", h.Number);
                w.WriteString("time", h.Time);
                var asked = h.Request;
                w.WriteString("prompt", asked.Prompt);
                if (asked.Seed is { } seed) w.WriteNumber("seed", seed); else w.WriteNull("seed");
                w.WriteNumber("temperature", asked.Temperature);
                w.WriteNumber("topK", asked.TopK);
                w.WriteNumber("guidance", asked.Guidance);
                w.WriteNumber("variations", asked.Variations);
                w.WriteNumber("bars", InstanceCard.LengthBars(asked));
                w.WriteNumber("tempoBpm", asked.TempoBpm);
                w.WriteBoolean("restorable", asked.StemStartPpq != null);
                WriteStrings(w, "wavPaths", h.WavPaths);
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteEndObject();
        }
    }

    static void WriteStrings(Utf8JsonWriter w, string name, IReadOnlyList<string> values)
    {
        w.WriteStartArray(name);
        foreach (var v in values) w.WriteStringValue(v);
        w.WriteEndArray();
    }
}
