namespace Stage.Inference.Checkpoints;

/// <summary>
/// STAGE's LM tensor names (x-transformers layout under <c>lm.decoder.</c>, spec §1.13): block l is
/// <c>layers.{3l}</c> self-attention, <c>{3l+1}</c> cross-attention, <c>{3l+2}</c> feed-forward, each
/// <c>.0.0</c> its pre-LayerNorm and <c>.1</c> the block.
/// </summary>
public static class LmKeys
{
    public const string Prefix = "lm.decoder.";
    const string Layers = Prefix + "attn_layers.layers.";

    public static string TokenEmbedding(int codebook) => $"{Prefix}token_emb.emb.{codebook}.weight";
    public static (string Weight, string Bias) SelfNorm(int layer) => Norm(3 * layer);
    public static (string Weight, string Bias) CrossNorm(int layer) => Norm(3 * layer + 1);
    public static (string Weight, string Bias) FfnNorm(int layer) => Norm(3 * layer + 2);

    /// <summary><paramref name="projection"/> is to_q, to_k, to_v or to_out.</summary>
    public static string SelfAttention(int layer, string projection) => $"{Layers}{3 * layer}.1.{projection}.weight";
    public static string CrossAttention(int layer, string projection) => $"{Layers}{3 * layer + 1}.1.{projection}.weight";
    public static string FfnIn(int layer) => $"{Layers}{3 * layer + 2}.1.ff.0.0.weight";
    public static string FfnOut(int layer) => $"{Layers}{3 * layer + 2}.1.ff.2.weight";
    public static (string Weight, string Bias) FinalNorm => ($"{Prefix}attn_layers.final_norm.weight", $"{Prefix}attn_layers.final_norm.bias");
    public static string Head(int codebook) => $"{Prefix}to_logits.linears.{codebook}.weight";

    static (string, string) Norm(int index) => ($"{Layers}{index}.0.0.weight", $"{Layers}{index}.0.0.bias");
}
