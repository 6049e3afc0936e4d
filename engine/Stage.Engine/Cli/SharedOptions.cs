using System.CommandLine;

namespace Stage.Engine.Cli;

/// <summary>
/// Options that more than one command takes, defined once so that their names, value names and wording agree.
/// Each call makes a new option (a command owns its symbols); a command keeps the one it added in a field and
/// reads it with <c>ParseResult.GetValue</c>.
/// </summary>
public static class SharedOptions
{
    /// <summary><c>--model DIR</c>: one model folder (model.safetensors, spiece.model, optional config.json).</summary>
    public static Option<string> Model(string description) => new("--model")
    {
        Description = description,
        HelpName = "DIR",
        Required = true,
    };

    /// <summary><c>--out PATH</c>: the file a command writes.</summary>
    public static Option<string> Out(string helpName, string description) => new("--out")
    {
        Description = description,
        HelpName = helpName,
        Required = true,
    };

    /// <summary><c>--models DIR</c>: the models root holding drums/ and bass/ ($STAGE_MODELS, else &lt;data&gt;/models).</summary>
    /// Read it with <see cref="ModelsRootOf"/>. <paramref name="showDefault"/> puts this machine's path in the help (serve's
    /// help shows where the installed engine looks); otherwise the help reads the same on every machine.
    public static Option<string?> ModelsRoot(string holds = "drums/ and bass/", bool showDefault = false)
    {
        var option = new Option<string?>("--models")
        {
            Description = $"models root holding {holds} ($STAGE_MODELS if set, else <data>/models)",
            HelpName = "DIR",
        };
        if (showDefault) option.DefaultValueFactory = _ => Stage.Shared.StageFolders.Models;
        return option;
    }

    /// <summary>The models root a command was given, else $STAGE_MODELS, else &lt;data&gt;/models.</summary>
    public static string ModelsRootOf(ParseResult result, Option<string?> option) => result.GetValue(option) ?? Stage.Shared.StageFolders.Models;
}
