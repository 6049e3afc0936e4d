using Stage.Plugin.Processing;
using Stage.Shared.Audio;
using Stage.Shared.Audio.Resampling;

namespace Stage.Plugin.EngineLink;

/// <summary>
/// Reloads a saved stem from its WAVs (one per variation) when a project is reopened, converted to the
/// host's current sample rate when that differs from the rate the stem was made at.
/// </summary>
static class StemFiles
{
    public static void Reload(StagePlugin plugin, StemReference reference)
    {
        double hostRate = plugin.HostSampleRate;
        int rate = hostRate == Math.Floor(hostRate) && hostRate is >= 8_000 and <= 384_000 ? (int)hostRate : 0;
        string current = reference.WavPaths[0];
        try
        {
            Stem? stem = null;
            for (int v = 0; v < reference.WavPaths.Count; v++)
            {
                current = reference.WavPaths[v];
                var audio = WavReader.Read(current);
                if (audio.FrameCount == 0) throw new WavFormatException(current, "it holds no audio");
                if (rate != 0 && audio.SampleRate != rate) audio = SampleRateConverter.Resample(audio, rate);
                stem ??= plugin.NewStem(reference.WavPaths.Count, audio.FrameCount, reference.StartPpq, reference.LengthQuarters, audio.SampleRate);
                stem.Fill(v, audio.Channel(0), audio.Channel(audio.ChannelCount > 1 ? 1 : 0));
            }
            plugin.PublishStem(stem);
            plugin.LastStem = reference;
            plugin.Status = new StatusReport(StatusKind.StemReady, $"Stem ready: {reference.WavPaths[0]}");
            PluginLog.Write($"reloaded stem {string.Join(", ", reference.WavPaths)} at PPQ {reference.StartPpq}");
        }
        catch (Exception e) when (e is IOException or WavFormatException or UnauthorizedAccessException)
        {
            plugin.Status = new StatusReport(StatusKind.Failed, $"Could not reload the saved stem {current}: {e.Message}");
            PluginLog.Write(plugin.Status.Text);
        }
    }
}
