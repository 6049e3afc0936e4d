namespace Stage.Inference.Gpu;

/// <summary>How a device stores the LM's weights (<c>--precision</c>); sums are float32 whatever the storage.</summary>
public enum WeightPrecision
{
    /// <summary>float32: reproduces the CPU engine and STAGE's goldens.</summary>
    Float32,
    /// <summary>bfloat16: half the memory and weight traffic, float32's range.</summary>
    BFloat16,
    /// <summary>IEEE half: half the memory, 11-bit mantissa, range to 65504.</summary>
    Float16,
    /// <summary>int8 with one float32 scale per row: a quarter of float32's bytes (the CPU engine only).</summary>
    Int8,
}

public static class WeightPrecisions
{
    public static string Name(WeightPrecision p) => p switch
    {
        WeightPrecision.Float32 => "f32",
        WeightPrecision.BFloat16 => "bf16",
        WeightPrecision.Float16 => "f16",
        WeightPrecision.Int8 => "int8",
        _ => throw new ArgumentOutOfRangeException(nameof(p)),
    };

    public static bool TryParse(string? text, out WeightPrecision precision)
    {
        precision = text switch { "f32" => WeightPrecision.Float32, "bf16" => WeightPrecision.BFloat16, "f16" => WeightPrecision.Float16, "int8" => WeightPrecision.Int8, _ => (WeightPrecision)(-1) };
        return (int)precision >= 0;
    }
}
