namespace Stage.Inference.Checkpoints;

/// <summary>
/// Every tensor name of the released STAGE checkpoint (a LightningMusicgen state dict), in one place.
/// Models ask for their weights by structure (encoder layer i, LM block l, codebook k) and never
/// spell a key themselves. See model-spec §1.13, §3.5 and §4.9.
/// </summary>
public static class StageCheckpointLayout
{
    /// <summary>EnCodec 32 kHz (audiocraft SEANet naming under <c>encodec_model.</c>).</summary>
    public static class Encodec
    {
        public const string Prefix = "encodec_model.";

        /// <summary>Module prefix of the plain conv at encoder.model.{i} (weight-normed; add .bias for the bias).</summary>
        public static string EncoderConv(int i) => $"{Prefix}encoder.model.{i}.conv.conv";

        /// <summary>Conv j (1 = k3 compress, 3 = k1 expand) of the residual block at encoder.model.{i}.</summary>
        public static string EncoderResidualConv(int i, int j) => $"{Prefix}encoder.model.{i}.block.{j}.conv.conv";

        public static string EncoderLstm(int i) => $"{Prefix}encoder.model.{i}.lstm";

        public static string DecoderConv(int i) => $"{Prefix}decoder.model.{i}.conv.conv";

        public static string DecoderTransposedConv(int i) => $"{Prefix}decoder.model.{i}.convtr.convtr";

        public static string DecoderResidualConv(int i, int j) => $"{Prefix}decoder.model.{i}.block.{j}.conv.conv";

        public static string DecoderLstm(int i) => $"{Prefix}decoder.model.{i}.lstm";

        /// <summary>LSTM parameter: kind ∈ weight_ih, weight_hh, bias_ih, bias_hh; layer 0-based.</summary>
        public static string LstmParameter(string lstm, string kind, int layer) => $"{lstm}.{kind}_l{layer}";

        /// <summary>Codebook j's embedding table [bins, dimension].</summary>
        public static string Codebook(int j) => $"{Prefix}quantizer.vq.layers.{j}._codebook.embed";
    }

    /// <summary>T5 encoder (HF names) and STAGE's projection to the LM width.</summary>
    public static class T5
    {
        public const string Prefix = "condition_provider.embedders.description.t5.";

        /// <summary>Token embedding; the file may keep only one of the tied names (see <see cref="EmbeddingAlias"/>).</summary>
        public const string Embedding = Prefix + "shared.weight";
        public const string EmbeddingAlias = Prefix + "encoder.embed_tokens.weight";

        /// <summary>which ∈ q, k, v, o.</summary>
        public static string SelfAttention(int block, string which) => $"{Prefix}encoder.block.{block}.layer.0.SelfAttention.{which}.weight";

        /// <summary>[buckets, heads]; only block 0 has it.</summary>
        public const string RelativeAttentionBias = Prefix + "encoder.block.0.layer.0.SelfAttention.relative_attention_bias.weight";

        public static string AttentionNorm(int block) => $"{Prefix}encoder.block.{block}.layer.0.layer_norm.weight";

        /// <summary>which ∈ wi, wo.</summary>
        public static string FeedForward(int block, string which) => $"{Prefix}encoder.block.{block}.layer.1.DenseReluDense.{which}.weight";

        public static string FeedForwardNorm(int block) => $"{Prefix}encoder.block.{block}.layer.1.layer_norm.weight";

        public const string FinalNorm = Prefix + "encoder.final_layer_norm.weight";

        public const string OutputProjectionWeight = "condition_provider.embedders.description.output_proj.weight";
        public const string OutputProjectionBias = "condition_provider.embedders.description.output_proj.bias";
    }

    /// <summary>The LM in x-transformers layout: layers.{3l} self-attn, {3l+1} cross-attn, {3l+2} feed-forward.</summary>
    public static class Lm
    {
        public const string Prefix = "lm.decoder.";

        /// <summary>Codebook k's input embedding [input_card, dim].</summary>
        public static string TokenEmbedding(int k) => $"{Prefix}token_emb.emb.{k}.weight";

        static string Layer(int n) => $"{Prefix}attn_layers.layers.{n}";

        /// <summary>Pre-LayerNorm of block l's self-attention (append .weight / .bias).</summary>
        public static string SelfAttentionNorm(int block) => $"{Layer(3 * block)}.0.0";

        /// <summary>which ∈ to_q, to_k, to_v, to_out (no biases).</summary>
        public static string SelfAttention(int block, string which) => $"{Layer(3 * block)}.1.{which}.weight";

        public static string CrossAttentionNorm(int block) => $"{Layer(3 * block + 1)}.0.0";

        public static string CrossAttention(int block, string which) => $"{Layer(3 * block + 1)}.1.{which}.weight";

        public static string FeedForwardNorm(int block) => $"{Layer(3 * block + 2)}.0.0";

        /// <summary>FFN in [ff, dim] (then GELU).</summary>
        public static string FeedForwardIn(int block) => $"{Layer(3 * block + 2)}.1.ff.0.0.weight";

        /// <summary>FFN out [dim, ff].</summary>
        public static string FeedForwardOut(int block) => $"{Layer(3 * block + 2)}.1.ff.2.weight";

        public const string FinalNorm = Prefix + "attn_layers.final_norm";

        /// <summary>Codebook k's output head [card, dim], no bias.</summary>
        public static string OutputHead(int k) => $"{Prefix}to_logits.linears.{k}.weight";
    }
}
