using System.CommandLine.Parsing;
using System.Globalization;

namespace Stage.Engine.Cli;

/// <summary>
/// Parsers for option values, for <c>Option&lt;T&gt;.CustomParser</c>: culture-invariant, finite numbers only,
/// and errors that name the option and the text given (System.CommandLine's own name the CLR type).
/// Ranges are not checked here: the request's own validation names what a value must be.
/// </summary>
public static class OptionValues
{
    public static double Number(ArgumentResult result)
    {
        string text = Text(result);
        if (!double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out double value) || !double.IsFinite(value))
            result.AddError($"{OptionName(result)} '{text}' is not a number");
        return value;
    }

    public static double? OptionalNumber(ArgumentResult result) => Number(result);

    public static float SingleNumber(ArgumentResult result) => (float)Number(result);

    public static int WholeNumber(ArgumentResult result)
    {
        string text = Text(result);
        if (!int.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out int value))
            result.AddError($"{OptionName(result)} '{text}' is not a whole number");
        return value;
    }

    public static int? OptionalWholeNumber(ArgumentResult result) => WholeNumber(result);

    public static ulong Seed(ArgumentResult result)
    {
        string text = Text(result);
        if (!ulong.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out ulong value))
            result.AddError($"{OptionName(result)} '{text}' is not a whole number from 0 to {ulong.MaxValue}");
        return value;
    }

    /// <summary>A meter such as 4/4, 3/4 or 6/8, as two whole numbers; whether they make a meter the
    /// request's validation decides.</summary>
    public static (int Numerator, int Denominator)? Meter(ArgumentResult result)
    {
        string text = Text(result);
        var parts = text.Split('/');
        if (parts.Length != 2
            || !int.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out int n)
            || !int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out int d))
        {
            result.AddError($"{OptionName(result)} '{text}' is not a meter like 4/4, 3/4 or 6/8");
            return null;
        }
        return (n, d);
    }

    /// <summary>One of <paramref name="names"/>, turned into a value by <paramref name="parse"/>; the error
    /// lists the names.</summary>
    public static Func<ArgumentResult, T?> OneOf<T>(string[] names, Func<string, T?> parse) where T : struct => result =>
    {
        string text = Text(result);
        if (parse(text) is { } value) return value;
        result.AddError($"{OptionName(result)} '{text}' is not one of {string.Join(", ", names)}");
        return null;
    };

    // The parser runs only for an option given on the command line with its value (the arity check comes first).
    static string Text(ArgumentResult result) => result.Tokens.Count > 0 ? result.Tokens[^1].Value : "";

    static string OptionName(ArgumentResult result) =>
        result.Parent is OptionResult option ? option.IdentifierToken?.Value ?? option.Option.Name : result.Argument.Name;
}
