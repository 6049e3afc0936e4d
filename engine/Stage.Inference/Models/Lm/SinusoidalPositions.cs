namespace Stage.Inference.Models.Lm;

/// <summary>
/// audiocraft's <c>create_sin_embedding</c> (max period 10000, cos block first):
/// <c>phase_i = p / 10000^(i / (half − 1))</c>, output <c>[cos(phase) | sin(phase)]</c>, all in float32
/// in PyTorch's operation order (float division for the exponent, powf, float division for the phase).
/// </summary>
public sealed class SinusoidalPositions
{
    const float MaxPeriod = 10000f;
    readonly float[] _denominators;

    public SinusoidalPositions(int dim)
    {
        if (dim < 4 || dim % 2 != 0) throw new ArgumentOutOfRangeException(nameof(dim), dim, "sinusoidal positions need an even width ≥ 4");
        int half = dim / 2;
        _denominators = new float[half];
        for (int i = 0; i < half; i++)
            _denominators[i] = MathF.Pow(MaxPeriod, (float)i / (half - 1));
    }

    public int Dim => 2 * _denominators.Length;

    /// <summary>Adds the embedding of <paramref name="position"/> to <paramref name="x"/>.</summary>
    public void AddTo(int position, Span<float> x)
    {
        int half = _denominators.Length;
        if (x.Length != 2 * half) throw new ArgumentException($"expected width {2 * half}, got {x.Length}", nameof(x));
        float p = position;
        for (int i = 0; i < half; i++)
        {
            float phase = p / _denominators[i];
            x[i] += MathF.Cos(phase);
            x[half + i] += MathF.Sin(phase);
        }
    }
}
