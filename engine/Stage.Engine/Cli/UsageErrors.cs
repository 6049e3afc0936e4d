using System.CommandLine;
using System.CommandLine.Invocation;
using System.CommandLine.Parsing;
using System.Text;

namespace Stage.Engine.Cli;

/// <summary>
/// How a malformed command line is reported: one line per problem naming the bad option, System.CommandLine's
/// "did you mean" suggestions for a mistyped option or command, and the command's usage line; exit code 2.
/// </summary>
public static class UsageErrors
{
    public const int ExitCode = 2;

    /// <summary>Writes the parse errors of <paramref name="result"/> (which has some) to <paramref name="stderr"/>.</summary>
    public static int Report(ParseResult result, TextWriter stderr)
    {
        string path = CommandPath(result.CommandResult);
        foreach (var message in Describe(result)) stderr.WriteLine($"{path}: {message}");
        stderr.Write(TypoSuggestions(result));
        stderr.WriteLine(Usage(result.CommandResult.Command, path));
        return ExitCode;
    }

    /// <summary>Writes a usage error found after parsing.</summary>
    public static int Report(ParseResult result, UsageException error, TextWriter stderr)
    {
        string path = CommandPath(result.CommandResult);
        stderr.WriteLine($"{path}: {error.Message}");
        stderr.WriteLine(Usage(result.CommandResult.Command, path));
        return ExitCode;
    }

    /// <summary>
    /// One message per problem. Three kinds are worded here, because scripts and tests know them by these words:
    /// a token that matches nothing ("unknown option '--x'"), an option given without its value ("--bars needs a
    /// value") and a required option left out ("--model DIR is required"). The rest are System.CommandLine's or
    /// our parsers' and validators' messages as they are.
    /// </summary>
    public static List<string> Describe(ParseResult result)
    {
        var messages = new List<string>();
        var unmatched = result.UnmatchedTokens;
        var command = result.CommandResult.Command;
        bool unknownOption = unmatched.Any(IsOptionLike);
        if (command.Subcommands.Count > 0 && unmatched.FirstOrDefault(t => !IsOptionLike(t)) is { } unknownCommand)
        {
            // What follows an unknown command was meant for it: one message is enough.
            messages.Add($"unknown command '{unknownCommand}'");
        }
        else
        {
            foreach (var token in unmatched)
            {
                if (IsOptionLike(token)) messages.Add($"unknown option '{token}'");
                // After an unknown option its value is unmatched too: one message is enough.
                else if (!unknownOption) messages.Add($"unexpected argument '{token}'");
            }
        }
        foreach (var error in result.Errors)
        {
            switch (error.SymbolResult)
            {
                // The error System.CommandLine adds for each unmatched token, already worded above.
                case CommandResult when unmatched.Any(t => error.Message.Contains($"'{t}'", StringComparison.Ordinal)):
                    continue;
                // A command group without its command: after "unknown command 'x'" that goes without saying.
                case CommandResult { Command: { Action: null, Subcommands.Count: > 0 } } when unmatched.Count > 0:
                    continue;
                case OptionResult { Implicit: true, Option: { Required: true } required }:
                    messages.Add($"{required.Name} {required.HelpName} is required");
                    break;
                case ArgumentResult { Tokens.Count: 0, Argument: var argument } when argument.Arity.MinimumNumberOfValues > 0:
                    messages.Add($"missing {argument.HelpName ?? argument.Name}");
                    break;
                case OptionResult { Tokens.Count: 0, Option: var option } when option.Arity.MinimumNumberOfValues > 0:
                    messages.Add($"{option.Name} needs a value");
                    break;
                default:
                    messages.Add(error.Message);
                    break;
            }
        }
        return messages;
    }

    static bool IsOptionLike(string token) => token.Length > 1 && token[0] == '-';

    /// <summary>System.CommandLine's typo corrections ("'--tempo' was not matched. Did you mean one of the
    /// following?") for the unmatched tokens, or "" for none.</summary>
    static string TypoSuggestions(ParseResult result)
    {
        if (result.UnmatchedTokens.Count == 0 || result.Action is not ParseErrorAction action) return "";
        var suggestions = new StringWriter();
        action.ShowHelp = false;
        action.ShowTypoCorrections = true;
        result.Invoke(new InvocationConfiguration { Output = suggestions, Error = TextWriter.Null });
        return suggestions.ToString().TrimEnd() is { Length: > 0 } text ? text + Environment.NewLine : "";
    }

    /// <summary>"usage: stage-engine generate --out STEM.wav [options]  (stage-engine generate --help
    /// for details)", built from the command's own symbols so that a new option needs no second edit here.</summary>
    public static string Usage(Command command, string path)
    {
        var usage = new StringBuilder("usage: ").Append(path);
        if (command.Subcommands.Count > 0)
            usage.Append(" {").Append(string.Join('|', command.Subcommands.Where(c => !c.Hidden).Select(c => c.Name))).Append('}');
        foreach (var option in command.Options)
            if (option.Required) usage.Append(' ').Append(option.Name).Append(' ').Append(option.HelpName);
        if (command.Options.Any(o => !o.Required && !o.Hidden && o.Name != "--help" && o.Name != "--version"))
            usage.Append(" [options]");
        foreach (var argument in command.Arguments)
        {
            usage.Append(' ').Append(argument.HelpName ?? argument.Name);
            if (argument.Arity.MaximumNumberOfValues > 1) usage.Append(" [...]");
        }
        return usage.Append($"  ({path} --help for details)").ToString();
    }

    /// <summary>"stage-engine codec encode": the names from the root command down to <paramref name="command"/>.</summary>
    public static string CommandPath(CommandResult command)
    {
        var names = new List<string>();
        for (SymbolResult? r = command; r is CommandResult c; r = c.Parent) names.Add(c.Command.Name);
        names.Reverse();
        return string.Join(' ', names);
    }
}
