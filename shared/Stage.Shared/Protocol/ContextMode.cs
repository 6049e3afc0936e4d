namespace Stage.Shared.Protocol;

/// <summary>
/// What STAGE's context prefix holds (paper §3): the session mixture, a click at the session tempo, or
/// the mixture with the click added.
/// </summary>
public enum ContextMode { Mixture, Click, Both }

/// <summary>The context mode's name on the wire ("mixture", "click", "both").</summary>
public static class ContextModeName
{
    public static string Of(ContextMode mode) => mode switch
    {
        ContextMode.Mixture => "mixture",
        ContextMode.Click => "click",
        ContextMode.Both => "both",
        _ => throw new ArgumentOutOfRangeException(nameof(mode), mode, null),
    };

    public static ContextMode? Parse(string name) => name switch
    {
        "mixture" => ContextMode.Mixture,
        "click" => ContextMode.Click,
        "both" => ContextMode.Both,
        _ => null,
    };
}
