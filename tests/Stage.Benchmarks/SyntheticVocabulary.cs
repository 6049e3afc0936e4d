using Stage.Inference.Tests.Text;
using Stage.Inference.Text;

namespace Stage.Benchmarks;

/// <summary>
/// A T5-size unigram <c>spiece.model</c> for timing the tokenizer (the real t5-base model cannot be downloaded
/// here, and the fixture's 400 pieces make the Viterbi lattice unrealistically sparse): the fixture's pieces and
/// its nmt_nfkc charsmap, then every word and word prefix of an English music vocabulary with and without the
/// ▁ word-start mark, then pseudo-words from English letter frequencies, up to 32 000 pieces. Scores fall with
/// length like a trained unigram model's log-probabilities. Fixed seed, so every run builds the same model.
/// </summary>
static class SyntheticVocabulary
{
    public const int T5PieceCount = 32_000;

    const string Words =
        "the a and with of in on to for drums drum bass kick snare hat hihat hi-hat open closed ride crash cymbal tom toms " +
        "groove beat beats funky funk jazz soul rock metal pop disco house techno hip hop trap lo-fi chill ambient dub reggae " +
        "latin swing shuffle straight ghost notes note off-beat offbeat deep punchy tight loose heavy light soft hard fast slow " +
        "bpm tempo bar bars fill fills double pedal brushed brush upright electric synth synthesizer sub warm round bright dark " +
        "relaxed aggressive nostalgic mood genre playing keyboard piano guitar organ strings vocal vocals rhythm rhythmic syncopated " +
        "four floor half time triplet groove grooves walking line lines octave slap picked fingered muted staccato legato";

    public static string Write(string fixtureModel, string folder, int pieceCount)
    {
        var fixture = SentencePieceModel.Parse(File.ReadAllBytes(fixtureModel));
        var writer = new ModelProtoWriter { CharsMap = fixture.Normalizer.PrecompiledCharsMap };
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var piece in fixture.Pieces)
        {
            int type = piece.Type switch { PieceType.Control => ModelProtoWriter.Control, PieceType.Unknown => ModelProtoWriter.Unknown, _ => ModelProtoWriter.Normal };
            writer.Add(piece.Text, piece.Score, type);
            seen.Add(piece.Text);
        }

        var random = new Random(32_000);
        void Add(string text)
        {
            if (writer.Count < pieceCount && seen.Add(text))
                writer.Add(text, -2f - 1.2f * text.Length - (float)random.NextDouble() * 4f);
        }
        foreach (var word in Words.Split(' '))
        {
            for (int length = 1; length <= word.Length; length++)
            {
                Add(word[..length]);
                Add("\u2581" + word[..length]);
                Add(word[^length..]);
            }
        }
        const string Letters = "eeeeeeeeeeeetttttttttaaaaaaaaooooooooiiiiiiinnnnnnnssssssrrrrrrhhhhhlllldddcccuuummfwgypbvkjxqz";
        Span<char> word2 = stackalloc char[10];
        while (writer.Count < pieceCount)
        {
            int length = 2 + random.Next(7);
            for (int i = 0; i < length; i++) word2[i] = Letters[random.Next(Letters.Length)];
            string text = new(word2[..length]);
            Add(random.Next(2) == 0 ? text : "\u2581" + text);
        }
        return writer.WriteTo(folder);
    }
}
