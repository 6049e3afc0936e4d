namespace Stage.Inference.Text;

/// <summary>
/// The two places where T5's tokenizer (SentencePiece's own encoder, then T5Tokenizer) and Microsoft.ML.Tokenizers'
/// unigram model give different ids for the same pieces. Everything else — normalisation with the model's
/// precompiled charsmap, whitespace handling, the Viterbi segmentation — is ML.Tokenizers'.
/// </summary>
public static class T5Conventions
{
    /// <summary>
    /// SentencePiece emits one <c>&lt;unk&gt;</c> for a run of adjacent unknown characters
    /// (<c>SentencePieceProcessor::PopulateSentencePieceText</c>); ML.Tokenizers emits one per character.
    /// Collapses each run of <paramref name="unkId"/> in <paramref name="ids"/> in place and returns the new length.
    /// </summary>
    public static int MergeUnknownRuns(Span<int> ids, int unkId)
    {
        int kept = 0;
        for (int i = 0; i < ids.Length; i++)
        {
            if (ids[i] == unkId && kept > 0 && ids[kept - 1] == unkId) continue;
            ids[kept++] = ids[i];
        }
        return kept;
    }

    /// <summary>
    /// T5 ends every prompt with EOS, an empty or all-whitespace one too (<c>[eos]</c>); ML.Tokenizers'
    /// <c>addEndOfSentence</c> adds nothing when the text has no pieces. So EOS is never asked of ML.Tokenizers
    /// and is appended here: <paramref name="pieces"/> then <paramref name="eosId"/>.
    /// </summary>
    public static int[] AppendEos(ReadOnlySpan<int> pieces, int eosId)
    {
        var ids = new int[pieces.Length + 1];
        pieces.CopyTo(ids);
        ids[^1] = eosId;
        return ids;
    }
}
