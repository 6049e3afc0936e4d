using Stage.Inference.Text;

namespace Stage.Inference.Tests.Text;

/// <summary>Features the fixture model does not exercise, T5's two conventions, and every kind of bad input.</summary>
public sealed class TokenizerBehaviourTests : IDisposable
{
    readonly string _dir = Directory.CreateTempSubdirectory("stage-tokenizer-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    static string FixtureModel => Path.Combine(Fixture.Directory, "spiece.model");

    static ModelProtoWriter SmallModel() => ModelProtoWriter.WithT5Specials()
        .Add("▁", -2f)        // 3
        .Add("a", -3f)        // 4
        .Add("b", -3f)        // 5
        .Add("ab", -2.5f)     // 6
        .Add("▁ab", -1f);     // 7

    SentencePieceTokenizer Load(ModelProtoWriter writer, int maxTokens = SentencePieceTokenizer.DefaultMaxTokens) =>
        SentencePieceTokenizer.Load(writer.WriteTo(_dir), maxTokens);

    [Fact]
    public void ViterbiPrefersTheBestScoringSegmentation()
    {
        var t = Load(SmallModel());
        Assert.Equal([7, 1], t.Encode("ab"));          // ▁ab (−1) beats ▁+ab (−4.5) and ▁+a+b (−8)
        Assert.Equal([7, 7, 1], t.Encode("  ab   ab  "));
        Assert.Equal([3, 5, 4, 1], t.Encode("ba"));
    }

    [Fact]
    public void UnknownCharactersBecomeOneUnkPerRun()
    {
        var t = Load(SmallModel());
        Assert.Equal([3, 2, 1], t.Encode("xyz🥁鼓"));     // one run, one <unk>
        Assert.Equal([3, 2, 4, 2, 1], t.Encode("xa鼓"));  // runs split by a known piece stay separate
        Assert.Equal(["▁", "xyz🥁鼓"], t.EncodeToPieces("xyz🥁鼓"));
    }

    [Fact]
    public void MergeUnknownRunsCollapsesOnlyAdjacentUnks()
    {
        int[] ids = [4, 2, 2, 2, 25, 2, 4, 2, 2];
        int count = T5Conventions.MergeUnknownRuns(ids, unkId: 2);
        Assert.Equal([4, 2, 25, 2, 4, 2], ids[..count]);
        Assert.Equal(0, T5Conventions.MergeUnknownRuns([], unkId: 2));
    }

    [Fact]
    public void AppendEosEndsEvenAnEmptyPrompt()
    {
        Assert.Equal([1], T5Conventions.AppendEos([], eosId: 1));
        Assert.Equal([7, 5, 1], T5Conventions.AppendEos([7, 5], eosId: 1));
    }

    [Theory]
    [InlineData(ModelProtoWriter.UserDefined, "<sep>", "of type UserDefined")]
    [InlineData(ModelProtoWriter.Unused, "c", "of type Unused")]
    [InlineData(ModelProtoWriter.Byte, "<0x41>", "of type Byte")]
    [InlineData(ModelProtoWriter.Control, "<cls>", "control piece \"<cls>\"")]
    public void PieceTypesT5ModelsDoNotHaveAreRefused(int type, string piece, string problem)
    {
        // ML.Tokenizers' vocabulary factory has no piece types: it would segment these like normal pieces.
        var e = Assert.Throws<InvalidDataException>(() => Load(SmallModel().Add(piece, 0f, type)));
        Assert.Contains(problem, e.Message);
        Assert.Contains("(id 8)", e.Message);
    }

    [Fact]
    public void ByteFallbackAndKeptWhitespaceAreRefused()
    {
        var writer = SmallModel();
        writer.ByteFallback = true;
        Assert.Contains("byte_fallback", Assert.Throws<InvalidDataException>(() => Load(writer)).Message);
        writer = SmallModel();
        writer.RemoveExtraWhitespaces = false;
        Assert.Contains("remove_extra_whitespaces", Assert.Throws<InvalidDataException>(() => Load(writer)).Message);
    }

    [Fact]
    public void FixtureCharactersOutsideTheVocabularyAreUnk()
    {
        var t = SentencePieceTokenizer.Load(FixtureModel);
        Assert.Equal([4, 2, 4, 2, 1], t.Encode("鼓鼓 🥁"));
        Assert.Equal(["▁", "鼓鼓", "▁", "🥁"], t.EncodeToPieces("鼓鼓 🥁"));
    }

    [Fact]
    public void LoneSurrogatesAndMalformedUtf8BecomeTheReplacementCharacter()
    {
        var t = SentencePieceTokenizer.Load(FixtureModel);
        // A lone surrogate becomes U+FFFD, which nmt_nfkc's charsmap rewrites to a space.
        Assert.Equal(t.Encode("a\uFFFDb"), t.Encode("a\uD800b"));
        Assert.Equal([6, 264, 1], t.Encode("a\uD800b"));
    }

    [Theory]
    [InlineData("")]
    [InlineData(" ")]
    [InlineData("\t\r\n  ")]
    public void EmptyAndWhitespacePromptsAreOnlyEos(string text)
    {
        var t = SentencePieceTokenizer.Load(FixtureModel);
        Assert.Equal([1], t.Encode(text));
    }

    [Fact]
    public void PromptsAtTheCapEncodeAndLongerOnesFailNamingTheCap()
    {
        var t = SentencePieceTokenizer.Load(FixtureModel);
        Assert.Equal(512, t.MaxTokens);
        var ids = t.Encode(string.Concat(Enumerable.Repeat("a ", 511)));
        Assert.Equal(512, ids.Length);
        var e = Assert.Throws<PromptTooLongException>(() => t.Encode(string.Concat(Enumerable.Repeat("a ", 512))));
        Assert.Equal(513, e.TokenCount);
        Assert.Contains("513 tokens", e.Message);
        Assert.Contains("at most 512 tokens", e.Message);
        Assert.Throws<PromptTooLongException>(() => t.EncodeBatch(["a", string.Concat(Enumerable.Repeat("a ", 600))]));
    }

    [Fact]
    public void BatchesArePaddedOnTheRightWithAMask()
    {
        var t = SentencePieceTokenizer.Load(FixtureModel);
        var batch = t.EncodeBatch(["a", "", "funky drums"]);
        Assert.Equal(3, batch.Count);
        Assert.Equal(4, batch.Length);
        Assert.Equal([6, 1, 0, 0], batch.Row(0).ToArray());
        Assert.Equal([1, 0, 0, 0], batch.Row(1).ToArray());
        Assert.Equal([166, 29, 25, 1], batch.Row(2).ToArray());
        Assert.Equal([1, 1, 0, 0, 1, 0, 0, 0, 1, 1, 1, 1], batch.Mask);
        Assert.Equal([2, 1, 4], batch.Lengths);
    }

    [Fact]
    public void ExtraIdsSitAboveThePieces()
    {
        var t = SentencePieceTokenizer.Load(FixtureModel);
        Assert.Equal(400, t.PieceCount);
        Assert.Equal(500, t.VocabularySize);
        Assert.Equal(499, t.ExtraId(0));
        Assert.Equal(400, t.ExtraId(99));
        Assert.Equal("<extra_id_0>", t.IdToPiece(499));
        Assert.Equal("</s>", t.IdToPiece(1));
    }

    [Fact]
    public void EncodingIsThreadSafe()
    {
        var t = SentencePieceTokenizer.Load(FixtureModel);
        string[] prompts = ["funky drums with ghost notes, 100 bpm", "ＦＵＬＬ-width ＡＢＣ １２３", "🥁🥁 drums ドラム 鼓", ""];
        var expected = prompts.Select(t.Encode).ToArray();
        Parallel.For(0, 400, i => Assert.Equal(expected[i % 4], t.Encode(prompts[i % 4])));
    }

    [Fact]
    public void MissingModelFileNamesThePath()
    {
        string path = Path.Combine(_dir, "nope", "spiece.model");
        var e = Assert.Throws<FileNotFoundException>(() => SentencePieceTokenizer.Load(path));
        Assert.Contains(path, e.Message);
    }

    [Fact]
    public void EmptyModelFileIsRejected()
    {
        string path = Path.Combine(_dir, "spiece.model");
        File.WriteAllBytes(path, []);
        var e = Assert.Throws<InvalidDataException>(() => SentencePieceTokenizer.Load(path));
        Assert.Contains(path, e.Message);
        Assert.Contains("empty", e.Message);
    }

    [Fact]
    public void TruncatedModelFileIsRejected()
    {
        string path = Path.Combine(_dir, "spiece.model");
        File.WriteAllBytes(path, File.ReadAllBytes(FixtureModel)[..5000]);
        var e = Assert.Throws<InvalidDataException>(() => SentencePieceTokenizer.Load(path));
        Assert.Contains(path, e.Message);
        Assert.Contains("malformed protobuf", e.Message);
    }

    [Fact]
    public void TextFileIsRejected()
    {
        string path = Path.Combine(_dir, "spiece.model");
        File.WriteAllText(path, "this is not a model\n");
        var e = Assert.Throws<InvalidDataException>(() => SentencePieceTokenizer.Load(path));
        Assert.Contains("not a valid SentencePiece model", e.Message);
    }

    [Fact]
    public void NonUnigramModelIsRejected()
    {
        var writer = SmallModel();
        writer.ModelType = 2;
        var e = Assert.Throws<InvalidDataException>(() => Load(writer));
        Assert.Contains("only unigram", e.Message);
    }

    [Fact]
    public void ModelWithoutUnkIsRejected()
    {
        var writer = new ModelProtoWriter().Add("<pad>", 0, ModelProtoWriter.Control).Add("</s>", 0, ModelProtoWriter.Control).Add("a", -1f);
        var e = Assert.Throws<InvalidDataException>(() => Load(writer));
        Assert.Contains("no <unk> piece", e.Message);
    }

    [Fact]
    public void ModelWithoutEosIsRejected()
    {
        var writer = SmallModel();
        writer.EosId = -1;
        var e = Assert.Throws<InvalidDataException>(() => Load(writer));
        Assert.Contains("eos_id", e.Message);
    }

    [Fact]
    public void CorruptCharsMapIsRejected()
    {
        var writer = SmallModel();
        writer.CharsMap = [0xFF, 0xFF, 0, 0, 1, 2];
        var e = Assert.Throws<InvalidDataException>(() => Load(writer));
        Assert.Contains("precompiled_charsmap", e.Message);
    }
}
