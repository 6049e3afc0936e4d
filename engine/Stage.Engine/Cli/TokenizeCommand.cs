using System.Text;
using Stage.Inference.Text;

namespace Stage.Engine.Cli;

/// <summary>`stage-engine tokenize`: the T5 input ids of each prompt, one JSON array per line.</summary>
public static class TokenizeCommand
{
    public static readonly Command Definition = new(
        Name: "tokenize",
        Summary: "print the T5 token ids of prompts (one JSON array per line)",
        Usage: "tokenize --model DIR TEXT [TEXT ...]",
        Help:
            "Encodes each TEXT with the SentencePiece model DIR/spiece.model (DIR may also be the file itself)\n" +
            "exactly as T5Tokenizer does: pieces, then the end-of-sequence id 1. Prints one JSON array of ids\n" +
            $"per TEXT, in order. \"\" prints [1]. A prompt longer than {SentencePieceTokenizer.DefaultMaxTokens} tokens is an error.\n" +
            "Exit codes: 0 success, 1 bad model or prompt (nothing printed), 2 bad command line.",
        Run: Run);

    static int Run(string[] args, TextWriter stdout, TextWriter stderr, CancellationToken cancel)
    {
        string? model = null;
        var texts = new List<string>();
        for (int i = 0; i < args.Length; i++)
        {
            if (args[i] == "--model")
            {
                if (++i >= args.Length) throw new UsageException("--model needs a folder (or spiece.model path)");
                model = args[i];
            }
            else if (args[i] == "--")
            {
                texts.AddRange(args[(i + 1)..]);
                break;
            }
            else if (args[i].StartsWith("--", StringComparison.Ordinal))
            {
                throw new UsageException($"unknown option '{args[i]}' (use -- before a prompt that starts with --)");
            }
            else
            {
                texts.Add(args[i]);
            }
        }
        if (model is null) throw new UsageException("--model DIR is required");
        if (texts.Count == 0) throw new UsageException("give at least one TEXT to tokenize");

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
        for (int i = 0; i < texts.Count; i++)
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
}
