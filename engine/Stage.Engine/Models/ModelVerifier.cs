using Stage.Inference.Checkpoints;
using Stage.Inference.Generation;
using Stage.Inference.Text;

namespace Stage.Engine.Models;

/// <summary>
/// Whether a model folder is one STAGE can run: the checkpoint is loaded the way the engine loads it (so
/// every tensor the networks need is checked for presence, shape and dtype by the loader itself, and the
/// message names the first one that is wrong), and the tokenizer must parse and fit the T5 vocabulary.
/// </summary>
public static class ModelVerifier
{
    /// <summary>T5's SentencePiece model: 32,000 pieces; with T5's 100 extra ids they fill 32,100 of its 32,128 embedding rows.</summary>
    public const int T5Pieces = 32_000;
    const int T5ExtraIds = 100;

    /// <summary>The checkpoint's dtypes and parameter count; throws <see cref="ModelVerificationException"/> with the reason.</summary>
    public static (IReadOnlyList<string> DTypes, long Parameters) Verify(string folder)
    {
        ModelFolder model;
        try { model = ModelFolder.Open(folder); }
        catch (Exception e) when (e is CheckpointException or IOException or InvalidDataException or FormatException)
        {
            throw new ModelVerificationException($"the model folder is not usable: {e.Message}");
        }
        var dtypes = new SortedSet<string>(StringComparer.Ordinal);
        long parameters = 0;
        try
        {
            using (var weights = model.OpenWeights())
                foreach (var name in weights.Names)
                {
                    var entry = weights.Entry(name);
                    dtypes.Add(entry.DType);
                    parameters += entry.ElementCount;
                }
            StageModel.Load(folder).Dispose();   // it keeps the checkpoint open, and the folder is renamed next
        }
        catch (Exception e) when (e is CheckpointException or IOException or InvalidDataException or FormatException or ArgumentException)
        {
            throw new ModelVerificationException($"{ModelFolder.WeightsFileName} is not a STAGE checkpoint: {e.Message}");
        }
        VerifyTokenizer(model.TokenizerPath, model.Config.T5.VocabSize, released: !File.Exists(model.ConfigPath));
        return ([.. dtypes], parameters);
    }

    static void VerifyTokenizer(string path, int vocabularySize, bool released)
    {
        if (!File.Exists(path)) throw new ModelVerificationException($"{ModelFolder.TokenizerFileName} is missing (the t5-base tokenizer: {ModelSources.TokenizerUrl})");
        SentencePieceTokenizer tokenizer;
        try { tokenizer = SentencePieceTokenizer.Load(path); }
        catch (Exception e) when (e is IOException or InvalidDataException or FormatException or ArgumentException)
        {
            throw new ModelVerificationException($"{ModelFolder.TokenizerFileName} is not a SentencePiece model: {e.Message}");
        }
        if (released ? tokenizer.PieceCount != T5Pieces : tokenizer.PieceCount + T5ExtraIds > vocabularySize)
            throw new ModelVerificationException(
                $"{ModelFolder.TokenizerFileName} has {tokenizer.PieceCount} pieces; t5-base's has {(released ? T5Pieces : $"at most {vocabularySize - T5ExtraIds} for this model's {vocabularySize}-row embedding")}");
    }
}

/// <summary>A model folder that failed verification; the message names the file and the problem.</summary>
public sealed class ModelVerificationException(string message) : Exception(message);
