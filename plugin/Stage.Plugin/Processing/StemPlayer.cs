using Stage.Shared.Music;

namespace Stage.Plugin.Processing;

/// <summary>
/// Audio thread: plays the published stem and turns what would be hard cuts — stop, locate, a loop jump,
/// another variation or a new stem arriving — into short fades: what was heard fades out from where it
/// was while the new position fades in. Starting from a stop is not faded (the stem starts on its beat,
/// as the host's own regions do). Once a fade is over the output is bit for bit the unfaded one.
/// </summary>
public sealed class StemPlayer
{
    public const double FadeSeconds = 0.005;

    // What the last block played, so the next one can tell a continuation from a jump.
    bool heard;
    Stem? heardStem;
    int heardVariation;
    long heardEnd;
    bool heardLoop;
    BarGrid heardGrid;

    // The sound being faded out, and the fade-in of what replaced it.
    Stem? tail;
    int tailVariation, tailDone, tailLength;
    long tailPosition;
    bool tailLoop;
    BarGrid tailGrid;
    int fadeInDone, fadeInLength;

    /// <summary>The stem a fade-out still reads (the engine link must not refill it meanwhile).</summary>
    public Stem? FadingStem => Volatile.Read(ref tail);

    public void Play(Stem? stem, int variation, in Transport transport, bool loop, float gain, Span<float> outL, Span<float> outR)
    {
        int n = outL.Length;
        bool playing = stem != null && transport.IsPlaying && transport.HasPosition && stem.SampleRate == transport.SampleRate;
        long start = playing ? StemPlayback.BlockStart(stem!, transport) : 0;
        int v = playing ? Math.Clamp(variation, 0, stem!.Variations - 1) : 0;

        // Rounding PPQ to samples may disagree with the running count by one sample: that is continuity.
        bool continues = playing && stem == heardStem && v == heardVariation && loop == heardLoop && Math.Abs(start - heardEnd) <= 1;
        if (heard && !continues)
        {
            Volatile.Write(ref tail, heardStem);
            tailVariation = heardVariation;
            tailPosition = heardEnd;
            tailLoop = heardLoop;
            tailGrid = heardGrid;
            tailDone = 0;
            tailLength = FadeLength(heardGrid.SampleRate);
            fadeInDone = 0;
            fadeInLength = playing ? FadeLength(transport.SampleRate) : 0;
        }

        if (tail != null)
        {
            int m = Math.Min(n, tailLength - tailDone);
            StemPlayback.MixAt(tail, tailVariation, tailPosition, tailGrid, tailLoop, gain, Ramp.Out(tailDone, tailLength), outL[..m], outR[..m]);
            tailPosition += m;
            tailDone += m;
            if (tailDone >= tailLength) Volatile.Write(ref tail, null);
        }

        if (playing)
        {
            var ramp = fadeInDone < fadeInLength ? Ramp.In(fadeInDone, fadeInLength) : Ramp.None;
            StemPlayback.MixAt(stem!, v, start, transport.Grid, loop, gain, ramp, outL, outR);
            fadeInDone = Math.Min(fadeInLength, fadeInDone + n);
        }

        heard = playing;
        heardStem = playing ? stem : null;
        heardVariation = v;
        heardEnd = start + n;
        heardLoop = loop;
        if (playing) heardGrid = transport.Grid;
    }

    static int FadeLength(double sampleRate) => Math.Max(1, (int)Math.Round(FadeSeconds * sampleRate));
}
