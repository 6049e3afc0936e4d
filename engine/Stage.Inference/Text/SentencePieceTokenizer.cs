using Unigram = Microsoft.ML.Tokenizers.SentencePieceTokenizer;

namespace Stage.Inference.Text;

/// <summary>
/// The T5 tokenizer: SentencePiece unigram encoding of <c>spiece.model</c> (as <c>sentencepiece.encode</c>), then
/// T5's conventions — EOS appended, no BOS, batches right-padded with the pad id, 100 <c>&lt;extra_id_k&gt;</c> ids
/// above the pieces. The encoding is Microsoft.ML.Tokenizers' unigram model, built from the model's pieces and its
/// normaliser settings (it applies the precompiled charsmap itself); its stream factory cannot load a T5 model
/// (T5 has no BOS id). <see cref="T5Conventions"/> holds the two adaptations to T5's ids. Thread-safe.
/// </summary>
/// <remarks>Only what T5's models contain is read: normal pieces, the control pieces &lt;pad&gt; and &lt;/s&gt;, one
/// unknown piece, and normalisation that removes extra whitespace. ML.Tokenizers' vocabulary factory knows no piece
/// types, so a model with user-defined, unused or byte pieces (or byte fallback) would be encoded differently from
/// SentencePiece; it is refused with the piece named.</remarks>
public sealed class SentencePieceTokenizer
{
    /// <summary>T5's usual maximum sequence length (t5-base <c>model_max_length</c>), EOS included.</summary>
    public const int DefaultMaxTokens = 512;
    public const int ExtraIdCount = 100;

    // The control pieces ML.Tokenizers recognises by name and keeps out of the segmentation.
    static readonly string[] ControlPieces = ["<pad>", "</s>", "<s>"];

    readonly SentencePieceModel _model;
    readonly Unigram _unigram;

    SentencePieceTokenizer(SentencePieceModel model, int maxTokens)
    {
        _model = model;
        MaxTokens = maxTokens;
        if (model.Trainer.ModelType != SegmentationModel.Unigram)
            throw new InvalidDataException($"model type is {model.Trainer.ModelType}; only unigram models (T5's) are supported");

        var pieces = model.Pieces;
        var seen = new HashSet<string>(pieces.Length, StringComparer.Ordinal);
        UnkId = -1;
        for (int id = 0; id < pieces.Length; id++)
        {
            var piece = pieces[id];
            if (!seen.Add(piece.Text))
                throw new InvalidDataException($"piece \"{piece.Text}\" (id {id}) is defined twice");
            switch (piece.Type)
            {
                case PieceType.Unknown:
                    if (UnkId >= 0) throw new InvalidDataException($"two unknown pieces (ids {UnkId} and {id})");
                    UnkId = id;
                    break;
                case PieceType.Control when Array.IndexOf(ControlPieces, piece.Text) < 0:
                    throw new InvalidDataException($"control piece \"{piece.Text}\" (id {id}) is not one of {string.Join(", ", ControlPieces)}, the only ones T5 models have");
                case PieceType.UserDefined or PieceType.Unused or PieceType.Byte:
                    throw new InvalidDataException($"piece \"{piece.Text}\" (id {id}) is of type {piece.Type}; T5 models have only normal, control and unknown pieces");
            }
        }
        if (UnkId < 0) throw new InvalidDataException("no <unk> piece (type UNKNOWN) is defined");
        if (model.Trainer.ByteFallback) throw new InvalidDataException("byte_fallback is set; T5 models do not use byte fallback");
        if (!model.Normalizer.RemoveExtraWhitespaces)
            throw new InvalidDataException("normalizer_spec.remove_extra_whitespaces is false; T5 models remove extra whitespace");

        EosId = CheckedSpecialId(model.Trainer.EosId, "eos_id (</s>)");
        PadId = CheckedSpecialId(model.Trainer.PadId, "pad_id (<pad>)");
        try
        {
            var vocabulary = new (string Piece, float Score)[pieces.Length];
            for (int id = 0; id < pieces.Length; id++) vocabulary[id] = (pieces[id].Text, pieces[id].Score);
            _unigram = Unigram.Create(vocabulary, UnkId, addBeginningOfSentence: false, addEndOfSentence: false,
                model.Normalizer.PrecompiledCharsMap, model.Normalizer.AddDummyPrefix, model.Normalizer.EscapeWhitespaces,
                model.Trainer.TreatWhitespaceAsSuffix);
            // ML.Tokenizers trusts the charsmap blob; a corrupt one fails here rather than on a user's prompt.
            _unigram.EncodeToIds("Stage ＦＵＬＬ-width café ①");
        }
        catch (Exception e) when (e is ArgumentException or IndexOutOfRangeException or InvalidOperationException)
        {
            throw new InvalidDataException($"the precompiled_charsmap (normalisation rule) is corrupt: {e.Message}", e);
        }
    }

    int CheckedSpecialId(int id, string what)
    {
        if (id < 0) throw new InvalidDataException($"{what} is not defined, but T5 needs it");
        if (id >= _model.Pieces.Length) throw new InvalidDataException($"{what} = {id} is outside the {_model.Pieces.Length} pieces");
        return id;
    }

    /// <summary>Loads <c>spiece.model</c>; a missing or malformed file throws with the path and the problem.</summary>
    public static SentencePieceTokenizer Load(string path, int maxTokens = DefaultMaxTokens)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxTokens, 1);
        if (!File.Exists(path))
            throw new FileNotFoundException($"SentencePiece model not found: {path}", path);
        byte[] bytes = File.ReadAllBytes(path);
        if (bytes.Length == 0) throw new InvalidDataException($"{path}: not a SentencePiece model: the file is empty");
        try
        {
            return new SentencePieceTokenizer(SentencePieceModel.Parse(bytes), maxTokens);
        }
        catch (InvalidDataException e)
        {
            throw new InvalidDataException($"{path}: not a valid SentencePiece model: {e.Message}", e);
        }
    }

    public static SentencePieceTokenizer FromModel(SentencePieceModel model, int maxTokens = DefaultMaxTokens) => new(model, maxTokens);

    public SentencePieceModel Model => _model;
    public int UnkId { get; }
    public int EosId { get; }
    public int PadId { get; }
    public int MaxTokens { get; }
    public int PieceCount => _model.Pieces.Length;
    /// <summary>Pieces plus T5's <c>&lt;extra_id_k&gt;</c> sentinels: the embedding's row count (before T5's own padding to 32128).</summary>
    public int VocabularySize => _model.Pieces.Length + ExtraIdCount;

    /// <summary><c>&lt;extra_id_k&gt;</c> = pieces + 99 − k (T5Tokenizer numbers them downwards from the top).</summary>
    public int ExtraId(int k)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(k);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(k, ExtraIdCount);
        return _model.Pieces.Length + ExtraIdCount - 1 - k;
    }

    public string IdToPiece(int id) =>
        id < _model.Pieces.Length ? _model.Pieces[id].Text : $"<extra_id_{_model.Pieces.Length + ExtraIdCount - 1 - id}>";

    /// <summary>T5 input ids of one prompt: the pieces' ids, then EOS. "" gives [EOS].</summary>
    public int[] Encode(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var pieces = _unigram.EncodeToIds(text, addBeginningOfSentence: false, addEndOfSentence: false);
        Span<int> ids = pieces.Count <= 256 ? stackalloc int[pieces.Count] : new int[pieces.Count];
        for (int i = 0; i < ids.Length; i++) ids[i] = pieces[i];
        int count = T5Conventions.MergeUnknownRuns(ids, UnkId);
        if (count + 1 > MaxTokens) throw new PromptTooLongException(count + 1, MaxTokens);
        return T5Conventions.AppendEos(ids[..count], EosId);
    }

    /// <summary>The pieces <c>sentencepiece.encode(text, out_type=str)</c> yields (no EOS); a merged run of unknowns is
    /// one piece, the normalised text it covers.</summary>
    public string[] EncodeToPieces(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var tokens = _unigram.EncodeToTokens(text, out string? normalized, addBeginningOfSentence: false, addEndOfSentence: false);
        var pieces = new List<string>(tokens.Count);
        for (int i = 0; i < tokens.Count; i++)
        {
            if (tokens[i].Id != UnkId || normalized is null)
            {
                pieces.Add(tokens[i].Value);
                continue;
            }
            int start = tokens[i].Offset.Start.GetOffset(normalized.Length);
            while (i + 1 < tokens.Count && tokens[i + 1].Id == UnkId) i++;
            pieces.Add(normalized[start..tokens[i].Offset.End.GetOffset(normalized.Length)]);
        }
        return pieces.ToArray();
    }

    /// <summary>One batched call: every prompt encoded, right-padded to the longest, with its attention mask.</summary>
    public TokenBatch EncodeBatch(IReadOnlyList<string> texts)
    {
        ArgumentNullException.ThrowIfNull(texts);
        if (texts.Count == 0) throw new ArgumentException("a batch needs at least one prompt", nameof(texts));
        var rows = new int[texts.Count][];
        int length = 0;
        for (int i = 0; i < rows.Length; i++)
        {
            rows[i] = Encode(texts[i]);
            length = Math.Max(length, rows[i].Length);
        }
        var ids = new int[rows.Length * length];
        var mask = new byte[rows.Length * length];
        var lengths = new int[rows.Length];
        ids.AsSpan().Fill(PadId);
        for (int i = 0; i < rows.Length; i++)
        {
            rows[i].CopyTo(ids.AsSpan(i * length));
            mask.AsSpan(i * length, rows[i].Length).Fill(1);
            lengths[i] = rows[i].Length;
        }
        return new TokenBatch { Count = rows.Length, Length = length, Ids = ids, Mask = mask, Lengths = lengths };
    }
}
