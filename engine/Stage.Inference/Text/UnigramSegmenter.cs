using System.Buffers;

namespace Stage.Inference.Text;

/// <summary>One piece of a segmentation: its id and the byte range of normalised text it covers.</summary>
public readonly record struct Segment(int Id, int Start, int Length);

/// <summary>
/// Unigram Viterbi segmentation (SentencePiece <c>unigram::Model::EncodeOptimized</c>): the best
/// path over byte positions of the normalised text, where each step is a vocabulary piece (its log
/// probability) or, for a character no single-character piece covers, <c>&lt;unk&gt;</c> with
/// score <c>min_score − 10</c>. User-defined pieces score <c>length·max_score − 0.1</c> so they always win.
/// The score arithmetic mirrors the C++ (double for pieces, float for unknowns, stored as float),
/// so ties and near-ties resolve exactly as in the reference.
/// </summary>
public sealed class UnigramSegmenter
{
    const float UnkPenalty = 10.0f;

    readonly PieceTrie _trie;
    readonly float[] _scores;
    readonly PieceType[] _types;
    readonly int _unkId;
    readonly float _minScore;
    readonly float _maxScore;

    public UnigramSegmenter(IReadOnlyList<Piece> pieces, int unkId)
    {
        _unkId = unkId;
        _trie = new PieceTrie();
        _scores = new float[pieces.Count];
        _types = new PieceType[pieces.Count];
        // SentencePiece starts max at FLT_MIN (the smallest positive normal float), so with the usual
        // all-negative scores max_score stays FLT_MIN and user-defined pieces score ≈ −0.1.
        _minScore = float.MaxValue;
        _maxScore = 1.17549435e-38f;
        for (int id = 0; id < pieces.Count; id++)
        {
            var piece = pieces[id];
            _scores[id] = piece.Score;
            _types[id] = piece.Type;
            if (piece.Type == PieceType.Normal)
            {
                _minScore = Math.Min(_minScore, piece.Score);
                _maxScore = Math.Max(_maxScore, piece.Score);
            }
            if (piece.Type is PieceType.Normal or PieceType.UserDefined or PieceType.Unused)
                _trie.Add(System.Text.Encoding.UTF8.GetBytes(piece.Text), id);
        }
    }

    /// <summary>Appends the best segmentation of <paramref name="normalized"/> to <paramref name="segments"/>.</summary>
    public void Segment(ReadOnlySpan<byte> normalized, List<Segment> segments)
    {
        int size = normalized.Length;
        if (size == 0) return;
        float unkScore = _minScore - UnkPenalty;

        var pool = ArrayPool<BestPath>.Shared;
        var bestEndingAt = pool.Rent(size + 1);
        try
        {
            var best = bestEndingAt.AsSpan(0, size + 1);
            best.Fill(new BestPath(-1, 0f, -1));

            int startsAt = 0;
            while (startsAt < size)
            {
                float scoreTillHere = best[startsAt].Score;
                int charLength = Math.Min(Utf8Char.LengthFromLeadByte(normalized[startsAt]), size - startsAt);
                bool hasSingleCharPiece = false;

                int node = 0;
                for (int keyPos = startsAt; keyPos < size;)
                {
                    node = _trie.Child(node, normalized[keyPos]);
                    keyPos++;
                    if (node == PieceTrie.NoNode) break;
                    int id = _trie.ValueAt(node);
                    if (id < 0 || _types[id] == PieceType.Unused) continue;

                    int length = keyPos - startsAt;
                    double score = _types[id] == PieceType.UserDefined
                        ? (double)(length * _maxScore) - 0.1
                        : _scores[id];
                    double candidate = score + scoreTillHere;
                    ref var target = ref best[keyPos];
                    if (target.StartsAt == -1 || candidate > target.Score)
                        target = new BestPath(id, (float)candidate, startsAt);
                    if (length == charLength) hasSingleCharPiece = true;
                }

                if (!hasSingleCharPiece)
                {
                    ref var target = ref best[startsAt + charLength];
                    float candidate = unkScore + scoreTillHere;
                    if (target.StartsAt == -1 || candidate > target.Score)
                        target = new BestPath(_unkId, candidate, startsAt);
                }
                startsAt += charLength;
            }

            int first = segments.Count;
            for (int endsAt = size; endsAt > 0;)
            {
                var node = best[endsAt];
                segments.Add(new Segment(node.Id, node.StartsAt, endsAt - node.StartsAt));
                endsAt = node.StartsAt;
            }
            segments.Reverse(first, segments.Count - first);
        }
        finally
        {
            pool.Return(bestEndingAt);
        }
    }

    readonly record struct BestPath(int Id, float Score, int StartsAt);
}
