using System.CommandLine;
using System.CommandLine.Parsing;
using System.Text;
using Stage.Inference.Text;

namespace Stage.Engine.Cli;

/// <summary>`stage-engine tokenize`: the T5 input ids of each prompt, one JSON array per line.</summary>
public sealed class TokenizeCommand : EngineCommand
{
    readonly Option<string> _model = SharedOptions.Model("the SentencePiece model: a model folder holding spiece.model, or the file itself");

    readonly Argument<string[]> _texts = new("TEXT")
    {
        Description = "the prompts; put -- before the first one that starts with -",
        Arity = ArgumentArity.OneOrMore,
    };

    public TokenizeCommand() : base("tokenize", "print the T5 token ids of prompts (one JSON array per line)")
    {
        Details =
            "Encodes each TEXT with the SentencePiece model DIR/spiece.model exactly as T5Tokenizer does: pieces, then the\n" +
            "end-of-sequence id 1. Prints one JSON array of ids per TEXT, in order. \"\" prints [1]. A prompt longer than\n" +
            $"{SentencePieceTokenizer.DefaultMaxTokens} tokens is an error.\n" +
            "Exit codes: 0 success, 1 bad model or prompt (nothing printed), 2 bad command line.";
        Add(_model);
        Add(_texts);
    }

    protected override int Run(ParseResult result, TextWriter stdout, TextWriter stderr, CancellationToken cancel)
    {
        string model = result.GetRequiredValue(_model);
        var texts = result.GetRequiredValue(_texts);
        if (OptionBeforeDoubleDash(result) is { } unknown)
            throw new UsageException($"unknown option '{unknown}' (use -- before a prompt that starts with -)");

        string path = Directory.Exists(model) ? Path.Combine(model, "spiece.model") : model;
        SentencePieceTokenizer tokenizer;
        try
        {
            tokenizer = SentencePieceTokenizer.Load(path);
        }
        catch (Exception e) when (e is FileNotFoundException or InvalidDataException or IOException or UnauthorizedAccessException)
        {
            stderr.WriteLine($"stage-engine tokenize: {e.Message}");
            return 1;
        }

        var output = new StringBuilder();
        for (int i = 0; i < texts.Length; i++)
        {
            cancel.ThrowIfCancellationRequested();
            int[] ids;
            try
            {
                ids = tokenizer.Encode(texts[i]);
            }
            catch (PromptTooLongException e)
            {
                stderr.WriteLine($"stage-engine tokenize: prompt {i + 1}: {e.Message}");
                return 1;
            }
            output.Append('[');
            for (int j = 0; j < ids.Length; j++)
            {
                if (j > 0) output.Append(',');
                output.Append(ids[j]);
            }
            output.Append(']').Append('\n');
        }
        stdout.Write(output.ToString());
        return 0;
    }

    /// <summary>A TEXT that looks like an option and came before <c>--</c>: System.CommandLine takes any token it
    /// does not know as an argument, so a mistyped option would otherwise be tokenized as a prompt.</summary>
    string? OptionBeforeDoubleDash(ParseResult result)
    {
        var texts = result.GetResult(_texts)?.Tokens ?? [];
        foreach (var token in result.Tokens)
        {
            if (token.Type == TokenType.DoubleDash) return null;
            if (token.Value.Length > 1 && token.Value[0] == '-' && texts.Any(t => ReferenceEquals(t, token))) return token.Value;
        }
        return null;
    }
}
