namespace Stage.Inference.Generation;

/// <summary>What the model hears before it plays: the session's mixture, a click track, or both summed (paper §5.4).</summary>
public enum ContextMode
{
    Mixture,
    Click,
    Both,
}

public static class ContextModes
{
    public static bool TryParse(string text, out ContextMode mode)
    {
        switch (text.Trim().ToLowerInvariant())
        {
            case "mixture": mode = ContextMode.Mixture; return true;
            case "click": mode = ContextMode.Click; return true;
            case "both": mode = ContextMode.Both; return true;
            default: mode = default; return false;
        }
    }

    public static string Name(this ContextMode mode) => mode switch
    {
        ContextMode.Mixture => "mixture",
        ContextMode.Click => "click",
        ContextMode.Both => "both",
        _ => throw new ArgumentOutOfRangeException(nameof(mode), mode, null),
    };

    public static bool UsesMixture(this ContextMode mode) => mode is ContextMode.Mixture or ContextMode.Both;

    public static bool UsesClick(this ContextMode mode) => mode is ContextMode.Click or ContextMode.Both;
}
