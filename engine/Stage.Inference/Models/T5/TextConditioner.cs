using Stage.Inference.Checkpoints;
using Stage.Inference.Kernels;
using Stage.Inference.Text;

namespace Stage.Inference.Models.T5;

/// <summary>
/// STAGE's text conditioner (<c>T5Embedder</c>, spec §1.6/§3.3): prompt → T5 tokens → T5 encoder
/// → <c>output_proj</c> (Linear with bias, T5 width → LM width) → multiplied by the token mask.
/// Exactly as STAGE, only the prompt <c>""</c> (or none) is the null condition; a whitespace-only
/// prompt still encodes its lone EOS. Thread-safe.
/// </summary>
public sealed class TextConditioner
{
    readonly LinearWeights _projection;

    public TextConditioner(SentencePieceTokenizer tokenizer, T5Encoder encoder, LinearWeights projection)
    {
        if (projection.InFeatures != encoder.Config.DModel)
            throw new ArgumentException($"projection takes {projection.InFeatures} inputs but T5 gives {encoder.Config.DModel}");
        if (tokenizer.VocabularySize > encoder.Config.VocabSize)
            throw new ArgumentException(
                $"the tokenizer has {tokenizer.PieceCount} pieces + {SentencePieceTokenizer.ExtraIdCount} extra ids but the T5 embedding " +
                $"has only {encoder.Config.VocabSize} rows: spiece.model and the checkpoint do not belong together");
        Tokenizer = tokenizer;
        Encoder = encoder;
        _projection = projection;
    }

    /// <summary>Builds the conditioner from a model folder's spiece.model and its open weights file.</summary>
    /// <param name="bfloat16">Store the encoder's linears as bfloat16 (see <see cref="T5Linear"/>).</param>
    public static TextConditioner Load(ModelFolder folder, SafetensorsFile weights, bool bfloat16 = false)
    {
        var config = folder.Config.T5;
        var tokenizer = SentencePieceTokenizer.Load(folder.RequireTokenizer());
        var encoder = new T5Encoder(T5Weights.Load(weights, config), bfloat16);
        var projection = LinearWeights.FromRows(
            weights.ReadFloat32(StageCheckpointLayout.T5.OutputProjectionWeight, config.ProjectionDim, config.DModel),
            config.ProjectionDim, config.DModel,
            weights.ReadFloat32(StageCheckpointLayout.T5.OutputProjectionBias, config.ProjectionDim));
        return new TextConditioner(tokenizer, encoder, projection);
    }

    public SentencePieceTokenizer Tokenizer { get; }
    public T5Encoder Encoder { get; }
    /// <summary>The LM width the states are projected to.</summary>
    public int Dim => _projection.OutFeatures;

    /// <summary>
    /// One prompt's memory [L, Dim] (L = its tokens incl. EOS, all attended). <c>null</c> or <c>""</c>
    /// gives <see cref="TextCondition.Null"/>. A prompt over the tokenizer's cap throws
    /// <see cref="PromptTooLongException"/>.
    /// </summary>
    public TextCondition Encode(string? prompt)
    {
        if (string.IsNullOrEmpty(prompt)) return TextCondition.Null(Dim, Tokenizer.EosId);
        int[] ids = Tokenizer.Encode(prompt);
        var mask = new byte[ids.Length];
        mask.AsSpan().Fill(1);
        var states = new float[ids.Length * Dim];
        EncodeTokens(ids, states);
        return new TextCondition(states, mask, ids, Dim, isNull: false);
    }

    /// <summary>
    /// STAGE's batched <c>T5Embedder.forward</c>: one tokenizer call with padding to the longest
    /// prompt, the mask of every <c>""</c>/<c>null</c> row zeroed, states projected and multiplied by
    /// the mask. Returns one condition per prompt, all of the batch length.
    /// </summary>
    public TextCondition[] EncodeBatch(IReadOnlyList<string?> prompts)
    {
        ArgumentNullException.ThrowIfNull(prompts);
        var texts = new string[prompts.Count];
        for (int i = 0; i < texts.Length; i++) texts[i] = prompts[i] ?? "";
        var batch = Tokenizer.EncodeBatch(texts);
        var result = new TextCondition[batch.Count];
        for (int i = 0; i < batch.Count; i++)
        {
            int[] ids = batch.Row(i).ToArray();
            var mask = batch.MaskRow(i).ToArray();
            var states = new float[batch.Length * Dim];
            bool isNull = texts[i].Length == 0;
            if (isNull) mask.AsSpan().Clear();
            // Right padding: the real tokens are a prefix, and masked keys get exactly zero weight,
            // so encoding the prefix alone equals T5 over the padded row at every unmasked position.
            else EncodeTokens(ids.AsSpan(0, batch.Lengths[i]), states);
            result[i] = new TextCondition(states, mask, ids, Dim, isNull);
        }
        return result;
    }

    /// <summary>states[..n·Dim] = output_proj(T5(ids)) for n unpadded tokens.</summary>
    void EncodeTokens(ReadOnlySpan<int> ids, Span<float> states)
    {
        var hidden = new float[ids.Length * Encoder.Config.DModel];
        Encoder.Encode(ids, default, hidden);
        MatMul.Linear(hidden, ids.Length, _projection, states[..(ids.Length * Dim)]);
    }
}
