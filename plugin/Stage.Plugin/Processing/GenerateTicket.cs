using System.Runtime.CompilerServices;

namespace Stage.Plugin.Processing;

/// <summary>
/// What the audio thread hands the engine link when Generate is pressed: the capture run as it stood,
/// and every parameter's value at that moment. A plain struct, so posting it allocates nothing.
/// </summary>
public struct GenerateTicket
{
    /// <summary>The ring <see cref="Run"/> refers to (a later, bigger ring does not hold it).</summary>
    public CaptureBuffer? Ring;
    public CaptureRun Run;
    /// <summary><see cref="CaptureBuffer.Written"/> when <see cref="Run"/> was taken.</summary>
    public long Written;
    /// <summary><see cref="CaptureBuffer.Runs"/> when <see cref="Run"/> was taken.</summary>
    public long Runs;
    public ParameterSnapshot Parameters;
    /// <summary>False when nothing has been captured yet (no transport, never played, Capture off).</summary>
    public bool HasCapture;
}

[InlineArray(16)]
public struct ParameterSnapshot
{
    double value;

    public readonly double Plain(ParameterId id) => StageParameters.Get(id).ToPlain(this[(int)id]);
}
