using Stage.Shared.Protocol;

namespace Stage.Plugin.Processing;

/// <summary>
/// The current normalized value of every parameter, with typed views in the producer's terms.
/// Written by one thread at a time (the audio thread while processing, the host's thread for state).
/// </summary>
public sealed class ParameterValues
{
    readonly double[] normalized = new double[StageParameters.Count];

    public ParameterValues()
    {
        for (int i = 0; i < normalized.Length; i++) normalized[i] = StageParameters.All[i].DefaultNormalized;
    }

    public double this[ParameterId id]
    {
        get => Volatile.Read(ref normalized[(int)id]);
        set => Volatile.Write(ref normalized[(int)id], Math.Clamp(value, 0, 1));
    }

    public double Plain(ParameterId id) => StageParameters.Get(id).ToPlain(this[id]);

    public void CopyTo(Span<double> destination) { for (int i = 0; i < normalized.Length; i++) destination[i] = this[(ParameterId)i]; }

    public Instrument Instrument => (Instrument)(int)Plain(ParameterId.Instrument);
    public ContextMode Context => (ContextMode)(int)Plain(ParameterId.Context);
    public int Bars => StageParameters.BarChoices[(int)Plain(ParameterId.Bars)];
    public int Variation => (int)Plain(ParameterId.Variation);
    public int Variations => (int)Plain(ParameterId.Variations);
    public bool CaptureArmed => Plain(ParameterId.Capture) >= 1;
    public bool Loop => Plain(ParameterId.Loop) >= 1;
    public float StemGain => DecibelsToGain(Plain(ParameterId.StemLevel));
    public float InputGain => DecibelsToGain(Plain(ParameterId.InputLevel));

    /// <summary>−60 dB (the bottom of the range) is silence; 0 dB is exactly 1 so the default is transparent.</summary>
    static float DecibelsToGain(double db) => db <= -60 ? 0f : Math.Abs(db) < 1e-9 ? 1f : (float)Math.Pow(10, db / 20);
}
