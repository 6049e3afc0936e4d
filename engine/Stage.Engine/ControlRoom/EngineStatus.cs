using Stage.Engine.Jobs;
using Stage.Shared.Protocol;

namespace Stage.Engine.ControlRoom;

/// <summary>What the page's engine panel shows: version, device, and which instrument models are installed.</summary>
public sealed record EngineStatus(string Version, string? Device, string ModelsRoot, string StemsFolder)
{
    public void Write(System.Text.Json.Utf8JsonWriter w)
    {
        w.WriteStartObject();
        w.WriteString("version", Version);
        w.WriteString("device", Device);
        w.WriteString("stemsFolder", StemsFolder);
        w.WriteString("modelsRoot", ModelsRoot);
        w.WriteStartArray("models");
        foreach (var instrument in (Instrument[])[Instrument.Drums, Instrument.Bass])
        {
            var model = InstalledModel.Resolve(ModelsRoot, instrument);
            string name = InstrumentName.Of(instrument);
            var missing = Directory.Exists(model.Path) ? model.MissingFiles() : InstalledModel.RequiredFiles;
            w.WriteStartObject();
            w.WriteString("instrument", name);
            w.WriteBoolean("installed", missing.Count == 0);
            w.WriteString("path", model.Path);
            w.WriteString("missing", string.Join(", ", missing));
            w.WriteString("install", $"stage-engine models install {name}");
            w.WriteEndObject();
        }
        w.WriteEndArray();
        w.WriteEndObject();
    }
}
