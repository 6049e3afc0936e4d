using System.Globalization;
using System.Text;
using Stage.Shared.Music;

namespace Stage.Daw.Tests.Ardour;

// The steps Lua/session.lua carries out, written from C# so a test's scenario sits beside its
// assertions. Positions are in samples on the session timeline.
public sealed class SessionPlan
{
    private readonly StringBuilder steps = new();

    public SessionPlan(int sampleRate, double bpm, int beatsPerBar = 4, int beatUnit = 4)
    {
        SampleRate = sampleRate;
        Bpm = bpm;
        BeatsPerBar = beatsPerBar;
        Grid = new BarGrid(bpm, beatsPerBar, beatUnit, sampleRate);
        Add("session", sampleRate, bpm, beatsPerBar, beatUnit);
    }

    public int SampleRate { get; }
    public double Bpm { get; }
    public int BeatsPerBar { get; }

    /// <summary>The session's bar grid, the one Stage's capture and playback use (bar 0 at sample 0).</summary>
    public BarGrid Grid { get; }

    public long BarToSample(double bar) => BarGrid.RoundToSample(Grid.BarsToSamples(bar));

    public SessionPlan Plugin(string name) => Add("plugin", name);
    public SessionPlan Parameter(string plugin, string title, double plainValue) => Add("param", plugin, plainValue, title);
    public SessionPlan Locate(long sample) => Add("locate", sample);
    public SessionPlan RollUntil(long sample) => Add("roll_until", sample);
    public SessionPlan Stop() => Add("stop");
    public SessionPlan WaitForFile(string path, int seconds) => Add("wait_file", NoSpaces(path), seconds);
    public SessionPlan WaitForFileIn(string directory, string suffix, int seconds) => Add("wait_file_in", NoSpaces(directory), NoSpaces(suffix), seconds);
    public SessionPlan WaitForParameter(string plugin, string title, double plainValue, int seconds) =>
        Add("wait_param", plugin, plainValue, seconds, title);
    public SessionPlan WaitSeconds(double seconds) => Add("wait_seconds", seconds);

    private static string NoSpaces(string word) =>
        word.Contains(' ') ? throw new ArgumentException($"'{word}' has a space; the plan format splits on spaces") : word;

    public override string ToString() => steps.ToString();

    private SessionPlan Add(params object[] words)
    {
        steps.AppendLine(string.Join(' ', words.Select(w => Convert.ToString(w, CultureInfo.InvariantCulture))));
        return this;
    }
}
