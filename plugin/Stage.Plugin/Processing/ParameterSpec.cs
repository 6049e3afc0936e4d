using System.Globalization;

namespace Stage.Plugin.Processing;

public enum ParameterKind
{
    /// <summary>A choice among labels; the plain value is the label's index.</summary>
    List,
    /// <summary>Whole numbers from Minimum to Maximum.</summary>
    Integer,
    /// <summary>A continuous range.</summary>
    Continuous,
    /// <summary>A continuous range in decibels.</summary>
    Decibels,
}

/// <summary>
/// One parameter as the host sees it: its id, names, steps, default, and the mapping between the
/// normalized value [0, 1] the host automates and the plain value the producer reads.
/// Discrete mappings follow the SDK's convention: plain = min(steps, floor(normalized × (steps + 1))).
/// </summary>
public sealed class ParameterSpec
{
    public required ParameterId Id { get; init; }
    public required string Name { get; init; }
    public required string ShortName { get; init; }
    public string Units { get; init; } = "";
    public required ParameterKind Kind { get; init; }
    public double Minimum { get; init; }
    public double Maximum { get; init; }
    public string[] Labels { get; init; } = [];
    public string Format { get; init; } = "0.00";
    public required double DefaultPlain { get; init; }
    public bool IsReadOnly { get; init; }

    /// <summary>0 for continuous parameters, else the number of steps (values − 1).</summary>
    public int StepCount => Kind switch
    {
        ParameterKind.List => Labels.Length - 1,
        ParameterKind.Integer => (int)(Maximum - Minimum),
        _ => 0,
    };

    public double DefaultNormalized => ToNormalized(DefaultPlain);

    public double ToPlain(double normalized)
    {
        normalized = Math.Clamp(normalized, 0, 1);
        return Kind switch
        {
            ParameterKind.List => Math.Min(StepCount, Math.Floor(normalized * (StepCount + 1))),
            ParameterKind.Integer => Minimum + Math.Min(StepCount, Math.Floor(normalized * (StepCount + 1))),
            _ => Minimum + normalized * (Maximum - Minimum),
        };
    }

    public double ToNormalized(double plain)
    {
        double lo = Kind == ParameterKind.List ? 0 : Minimum;
        double hi = Kind == ParameterKind.List ? StepCount : Maximum;
        if (hi <= lo) return 0;
        double v = Kind is ParameterKind.List or ParameterKind.Integer ? Math.Round(plain) : plain;
        return Math.Clamp((v - lo) / (hi - lo), 0, 1);
    }

    /// <summary>The display string of a normalized value ("Drums", "4 bars", "-6.0 dB", "0.95").</summary>
    public string Display(double normalized)
    {
        double plain = ToPlain(normalized);
        return Kind switch
        {
            ParameterKind.List => Labels[(int)plain],
            ParameterKind.Integer => ((long)plain).ToString(CultureInfo.InvariantCulture),
            ParameterKind.Decibels => plain.ToString("0.0", CultureInfo.InvariantCulture) + " dB",
            _ => plain.ToString(Format, CultureInfo.InvariantCulture),
        };
    }

    /// <summary>Reads what a producer typed: a label (case-insensitive) or a number, "dB" optional.</summary>
    public bool TryParse(string text, out double normalized)
    {
        normalized = 0;
        string t = text.Trim();
        if (Kind == ParameterKind.List)
        {
            for (int i = 0; i < Labels.Length; i++)
                if (string.Equals(Labels[i], t, StringComparison.OrdinalIgnoreCase)) { normalized = ToNormalized(i); return true; }
            return false;
        }
        if (t.EndsWith("dB", StringComparison.OrdinalIgnoreCase)) t = t[..^2].Trim();
        if (!double.TryParse(t, NumberStyles.Float, CultureInfo.InvariantCulture, out double plain)) return false;
        if (plain < Minimum || plain > Maximum) return false;
        normalized = ToNormalized(plain);
        return true;
    }
}
