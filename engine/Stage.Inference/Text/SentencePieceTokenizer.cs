using System.Text;

namespace Stage.Inference.Text;

/// <summary>
/// The T5 tokenizer: SentencePiece unigram encoding of <c>spiece.model</c> (as
/// <c>sentencepiece.encode</c>), then T5's conventions — EOS appended, no BOS, batches right-padded
/// with the pad id, 100 <c>&lt;extra_id_k&gt;</c> ids above the pieces. Thread-safe.
/// </summary>
public sealed class SentencePieceTokenizer
{
    /// <summary>T5's usual maximum sequence length (t5-base <c>model_max_length</c>), EOS included.</summary>
    public const int DefaultMaxTokens = 512;
    public const int ExtraIdCount = 100;

    readonly SentencePieceModel _model;
    readonly SentencePieceNormalizer _normalizer;
    readonly UnigramSegmenter _segmenter;
    readonly Dictionary<string, int> _idsByPiece;
    readonly int[]? _byteIds;

    [ThreadStatic] static Scratch? t_scratch;

    SentencePieceTokenizer(SentencePieceModel model, int maxTokens)
    {
        _model = model;
        MaxTokens = maxTokens;
        if (model.Trainer.ModelType != SegmentationModel.Unigram)
            throw new InvalidDataException($"model type is {model.Trainer.ModelType}; only unigram models (T5's) are supported");

        var pieces = model.Pieces;
        _idsByPiece = new Dictionary<string, int>(pieces.Length, StringComparer.Ordinal);
        var userDefined = new PieceTrie();
        bool anyUserDefined = false;
        UnkId = -1;
        for (int id = 0; id < pieces.Length; id++)
        {
            var piece = pieces[id];
            if (!_idsByPiece.TryAdd(piece.Text, id))
                throw new InvalidDataException($"piece \"{piece.Text}\" (id {id}) is defined twice");
            if (piece.Type == PieceType.UserDefined)
            {
                userDefined.Add(Encoding.UTF8.GetBytes(piece.Text), id);
                anyUserDefined = true;
            }
            if (piece.Type == PieceType.Unknown)
            {
                if (UnkId >= 0) throw new InvalidDataException($"two unknown pieces (ids {UnkId} and {id})");
                UnkId = id;
            }
            if (piece.Type == PieceType.Byte && !model.Trainer.ByteFallback)
                throw new InvalidDataException($"byte piece {piece.Text} (id {id}) is present although byte_fallback is false");
        }
        if (UnkId < 0) throw new InvalidDataException("no <unk> piece (type UNKNOWN) is defined");

        if (model.Trainer.ByteFallback)
        {
            _byteIds = new int[256];
            for (int b = 0; b < 256; b++)
            {
                string name = $"<0x{b:X2}>";
                if (!_idsByPiece.TryGetValue(name, out int id) || pieces[id].Type != PieceType.Byte)
                    throw new InvalidDataException($"byte_fallback is set but byte piece {name} is missing");
                _byteIds[b] = id;
            }
        }

        EosId = CheckedSpecialId(model.Trainer.EosId, "eos_id (</s>)");
        PadId = CheckedSpecialId(model.Trainer.PadId, "pad_id (<pad>)");
        _normalizer = new SentencePieceNormalizer(model.Normalizer, model.Trainer.TreatWhitespaceAsSuffix, anyUserDefined ? userDefined : null);
        _segmenter = new UnigramSegmenter(pieces, UnkId);
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
        var scratch = Scratch.ForThread();
        EncodeInto(text, scratch);
        int count = scratch.Ids.Count + 1;
        if (count > MaxTokens) throw new PromptTooLongException(count, MaxTokens);
        var ids = new int[count];
        scratch.Ids.CopyTo(ids);
        ids[^1] = EosId;
        return ids;
    }

    /// <summary>The pieces <c>sentencepiece.encode(text, out_type=str)</c> yields (no EOS); merged unknowns are one piece.</summary>
    public string[] EncodeToPieces(string text)
    {
        var scratch = Scratch.ForThread();
        EncodeInto(text, scratch);
        var result = new string[scratch.Ids.Count];
        var normalized = scratch.Normalized.Span;
        for (int i = 0; i < result.Length; i++)
        {
            int id = scratch.Ids[i];
            var (start, length) = scratch.Spans[i];
            result[i] = _model.Pieces[id].Type == PieceType.Byte
                ? _model.Pieces[id].Text
                : Encoding.UTF8.GetString(normalized.Slice(start, length));
        }
        return result;
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

    void EncodeInto(string text, Scratch scratch)
    {
        ArgumentNullException.ThrowIfNull(text);
        scratch.Reset();
        int maxBytes = Encoding.UTF8.GetMaxByteCount(text.Length);
        if (scratch.Utf8.Length < maxBytes) scratch.Utf8 = new byte[Math.Max(maxBytes, scratch.Utf8.Length * 2)];
        // Lone surrogates become U+FFFD here, as Python's str -> UTF-8 would refuse them anyway.
        int byteCount = Encoding.UTF8.GetBytes(text, scratch.Utf8);
        _normalizer.Normalize(scratch.Utf8.AsSpan(0, byteCount), scratch.Normalized);
        _segmenter.Segment(scratch.Normalized.Span, scratch.Segments);

        // SentencePieceProcessor::PopulateSentencePieceText: byte fallback for unknowns, otherwise a
        // run of unknown pieces becomes one <unk>.
        bool previousWasUnk = false;
        var normalized = scratch.Normalized.Span;
        foreach (var segment in scratch.Segments)
        {
            bool isUnk = segment.Id == UnkId;
            if (isUnk && _byteIds is not null)
            {
                for (int i = 0; i < segment.Length; i++)
                {
                    scratch.Ids.Add(_byteIds[normalized[segment.Start + i]]);
                    scratch.Spans.Add((segment.Start + i, 1));
                }
            }
            else if (isUnk && previousWasUnk)
            {
                var (start, length) = scratch.Spans[^1];
                scratch.Spans[^1] = (start, length + segment.Length);
            }
            else
            {
                scratch.Ids.Add(segment.Id);
                scratch.Spans.Add((segment.Start, segment.Length));
            }
            previousWasUnk = isUnk;
        }
    }

    /// <summary>Per-thread buffers so encoding allocates only its result.</summary>
    sealed class Scratch
    {
        public byte[] Utf8 = new byte[256];
        public readonly ByteBuffer Normalized = new();
        public readonly List<Segment> Segments = new();
        public readonly List<int> Ids = new();
        public readonly List<(int Start, int Length)> Spans = new();

        public static Scratch ForThread() => t_scratch ??= new Scratch();

        public void Reset()
        {
            Normalized.Clear();
            Segments.Clear();
            Ids.Clear();
            Spans.Clear();
        }
    }
}
