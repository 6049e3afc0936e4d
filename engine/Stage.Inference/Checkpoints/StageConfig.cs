using System.Text.Json;

namespace Stage.Inference.Checkpoints;

/// <summary>EnCodec (SEANet + RVQ) hyper-parameters. Defaults are facebook/encodec_32khz as used by MusicGen-Small/STAGE.</summary>
public sealed record EncodecConfig
{
    public int SampleRate { get; init; } = 32000;
    public int Channels { get; init; } = 1;
    /// <summary>Latent (and codebook) dimension.</summary>
    public int Dimension { get; init; } = 128;
    public int NFilters { get; init; } = 64;
    /// <summary>Decoder upsampling ratios; the encoder uses them reversed.</summary>
    public int[] Ratios { get; init; } = [8, 5, 4, 4];
    public int NResidualLayers { get; init; } = 1;
    public int ResidualKernelSize { get; init; } = 3;
    public int KernelSize { get; init; } = 7;
    public int LastKernelSize { get; init; } = 7;
    public int DilationBase { get; init; } = 2;
    public int Compress { get; init; } = 2;
    public int LstmLayers { get; init; } = 2;
    /// <summary>Number of codebooks (n_q).</summary>
    public int Codebooks { get; init; } = 4;
    /// <summary>Entries per codebook.</summary>
    public int Bins { get; init; } = 2048;
    public string PadMode { get; init; } = "reflect";

    public int HopLength
    {
        get { int h = 1; foreach (int r in Ratios) h *= r; return h; }
    }
}

/// <summary>STAGE LM (MusicGen-Small decoder in x-transformers layout). Defaults are MusicGen-Small.</summary>
public sealed record LmConfig
{
    public int Dim { get; init; } = 1024;
    public int Layers { get; init; } = 24;
    public int Heads { get; init; } = 16;
    public int HeadDim { get; init; } = 64;
    public int FfDim { get; init; } = 4096;
    public int Codebooks { get; init; } = 4;
    public int Card { get; init; } = 2048;
    public int InputCard { get; init; } = 2050;
    public int SpecialToken { get; init; } = 2048;
    public int ContextToken { get; init; } = 2049;
    public float LayerNormEps { get; init; } = 1e-5f;
    public float CfgCoef { get; init; } = 3.0f;
    public int TopK { get; init; } = 250;
    public int CrossAttentionDim { get; init; } = 1024;
}

/// <summary>T5 encoder + STAGE's output projection. Defaults are t5-base → 1024.</summary>
public sealed record T5Config
{
    public int DModel { get; init; } = 768;
    public int Layers { get; init; } = 12;
    public int Heads { get; init; } = 12;
    public int DKv { get; init; } = 64;
    public int DFf { get; init; } = 3072;
    public int VocabSize { get; init; } = 32128;
    public int RelativeAttentionBuckets { get; init; } = 32;
    public int RelativeAttentionMaxDistance { get; init; } = 128;
    public float LayerNormEps { get; init; } = 1e-6f;
    public int PadTokenId { get; init; } = 0;
    public int EosTokenId { get; init; } = 1;
    /// <summary>Output size of the projection after T5 (= LM cross-attention width).</summary>
    public int ProjectionDim { get; init; } = 1024;
}

/// <summary>
/// The hyper-parameters of a STAGE model folder. Released checkpoints are MusicGen-Small / t5-base /
/// EnCodec-32k and need no config.json; other sizes (the test fixture) bring one in the fixture's
/// schema (sections "lm", "t5", "encodec"; missing fields keep the released values).
/// </summary>
public sealed record StageConfig
{
    public EncodecConfig Encodec { get; init; } = new();
    public LmConfig Lm { get; init; } = new();
    public T5Config T5 { get; init; } = new();

    /// <summary>The released MusicGen-Small/EnCodec-32k/t5-base values.</summary>
    public static StageConfig Released { get; } = new();

    public static StageConfig Load(string path)
    {
        if (!File.Exists(path)) throw new CheckpointException($"{path}: file not found");
        JsonDocument doc;
        try { doc = JsonDocument.Parse(File.ReadAllBytes(path)); }
        catch (JsonException e) { throw new CheckpointException($"{path}: invalid JSON ({e.Message})", e); }
        using (doc)
        {
            try { return Parse(doc.RootElement); }
            catch (Exception e) when (e is InvalidOperationException or FormatException)
            {
                throw new CheckpointException($"{path}: invalid config ({e.Message})", e);
            }
        }
    }

    static StageConfig Parse(JsonElement root)
    {
        var config = new StageConfig();
        if (root.TryGetProperty("encodec", out var e))
        {
            var d = config.Encodec;
            config = config with
            {
                Encodec = d with
                {
                    SampleRate = Int(e, "sample_rate", d.SampleRate),
                    Channels = Int(e, "channels", d.Channels),
                    Dimension = Int(e, "dimension", d.Dimension),
                    NFilters = Int(e, "n_filters", d.NFilters),
                    Ratios = Ints(e, "ratios", d.Ratios),
                    NResidualLayers = Int(e, "n_residual_layers", d.NResidualLayers),
                    ResidualKernelSize = Int(e, "residual_kernel_size", d.ResidualKernelSize),
                    KernelSize = Int(e, "kernel_size", d.KernelSize),
                    LastKernelSize = Int(e, "last_kernel_size", d.LastKernelSize),
                    DilationBase = Int(e, "dilation_base", d.DilationBase),
                    Compress = Int(e, "compress", d.Compress),
                    LstmLayers = Int(e, "lstm_layers", d.LstmLayers),
                    Codebooks = Int(e, "n_q", d.Codebooks),
                    Bins = Int(e, "bins", d.Bins),
                    PadMode = Str(e, "pad_mode", d.PadMode),
                },
            };
        }
        if (root.TryGetProperty("lm", out var l))
        {
            var d = config.Lm;
            config = config with
            {
                Lm = d with
                {
                    Dim = Int(l, "dim", d.Dim),
                    Layers = Int(l, "layers", d.Layers),
                    Heads = Int(l, "heads", d.Heads),
                    HeadDim = Int(l, "head_dim", d.HeadDim),
                    FfDim = Int(l, "ff_dim", d.FfDim),
                    Codebooks = Int(l, "n_q", d.Codebooks),
                    Card = Int(l, "card", d.Card),
                    InputCard = Int(l, "input_card", d.InputCard),
                    SpecialToken = Int(l, "special_token", d.SpecialToken),
                    ContextToken = Int(l, "context_token", d.ContextToken),
                    CfgCoef = Float(l, "cfg_coef", d.CfgCoef),
                    TopK = Int(l, "stage_top_k", d.TopK),
                    CrossAttentionDim = Int(l, "cross_attention_kv_dim", d.CrossAttentionDim),
                },
            };
        }
        if (root.TryGetProperty("t5", out var t))
        {
            var d = config.T5;
            int projection = d.ProjectionDim;
            if (t.TryGetProperty("output_proj", out var proj)) projection = Int(proj, "out", projection);
            config = config with
            {
                T5 = d with
                {
                    DModel = Int(t, "d_model", d.DModel),
                    Layers = Int(t, "num_layers", d.Layers),
                    Heads = Int(t, "num_heads", d.Heads),
                    DKv = Int(t, "d_kv", d.DKv),
                    DFf = Int(t, "d_ff", d.DFf),
                    VocabSize = Int(t, "vocab_size", d.VocabSize),
                    RelativeAttentionBuckets = Int(t, "relative_attention_num_buckets", d.RelativeAttentionBuckets),
                    RelativeAttentionMaxDistance = Int(t, "relative_attention_max_distance", d.RelativeAttentionMaxDistance),
                    LayerNormEps = Float(t, "layer_norm_epsilon", d.LayerNormEps),
                    PadTokenId = Int(t, "pad_token_id", d.PadTokenId),
                    EosTokenId = Int(t, "eos_token_id", d.EosTokenId),
                    ProjectionDim = projection,
                },
            };
        }
        return config;
    }

    static int Int(JsonElement e, string name, int fallback) =>
        e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number ? v.GetInt32() : fallback;

    static float Float(JsonElement e, string name, float fallback) =>
        e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number ? v.GetSingle() : fallback;

    static string Str(JsonElement e, string name, string fallback) =>
        e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString()! : fallback;

    static int[] Ints(JsonElement e, string name, int[] fallback)
    {
        if (!e.TryGetProperty(name, out var v) || v.ValueKind != JsonValueKind.Array) return fallback;
        var list = new List<int>();
        foreach (var x in v.EnumerateArray()) list.Add(x.GetInt32());
        return list.ToArray();
    }
}
