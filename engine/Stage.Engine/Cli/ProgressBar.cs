using System.Diagnostics;
using Stage.Engine.Jobs;

namespace Stage.Engine.Cli;

/// <summary>A one-line progress bar on stderr, redrawn at most ten times a second and at every change of stage.</summary>
public sealed class ProgressBar(TextWriter stderr) : IStemListener, IDisposable
{
    const int Width = 30;
    readonly Stopwatch _sinceDraw = Stopwatch.StartNew();
    string? _stage;
    bool _drawn;

    public void Progress(StemProgress p)
    {
        if (p.Stage == _stage && _sinceDraw.ElapsedMilliseconds < 100 && p.Fraction < 1) return;
        _stage = p.Stage;
        _sinceDraw.Restart();
        int filled = (int)Math.Round(p.Fraction * Width);
        string variation = p.Variations > 1 ? $" {p.Variation + 1}/{p.Variations}" : "";
        string eta = p.Eta is { } t ? $" ETA {(int)t.TotalMinutes}:{t.Seconds:00}" : "";
        stderr.Write($"\r[{new string('#', filled)}{new string('.', Width - filled)}] {p.Fraction * 100,3:0}% {p.Stage}{variation}{eta}".PadRight(72));
        stderr.Flush();
        _drawn = true;
    }

    public void Audio(int variation, long startFrame, float[] interleaved, int sampleRate, int channels) { }

    public void VariationCompleted(StemVariation variation) { }

    public void Finish()
    {
        Progress(new StemProgress("done", 1, TimeSpan.Zero, 0, 1));
        Dispose();
    }

    public void Dispose()
    {
        if (!_drawn) return;
        stderr.WriteLine();
        _drawn = false;
    }
}
