using System.Text.Json;
using Stage.Inference.Text;

namespace Stage.Inference.Tests.Text;

public class TokenizerGoldenTests
{
    static readonly Lazy<SentencePieceTokenizer> Tokenizer = new(() => SentencePieceTokenizer.Load(Path.Combine(Fixture.Directory, "spiece.model")));

    public static TheoryData<int> EntryIndices()
    {
        var data = new TheoryData<int>();
        for (int i = 0; i < Entries.Value.Length; i++) data.Add(i);
        return data;
    }

    static readonly Lazy<Entry[]> Entries = new(() =>
    {
        using var doc = JsonDocument.Parse(System.IO.File.ReadAllText(Path.Combine(Fixture.Directory, "tokens.json")));
        var list = new List<Entry>();
        foreach (var e in doc.RootElement.GetProperty("entries").EnumerateArray())
        {
            list.Add(new Entry(
                e.GetProperty("text").GetString()!,
                e.GetProperty("ids").EnumerateArray().Select(x => x.GetInt32()).ToArray(),
                e.GetProperty("pieces").EnumerateArray().Select(x => x.GetString()!).ToArray()));
        }
        return list.ToArray();
    });

    sealed record Entry(string Text, int[] Ids, string[] Pieces);

    [Fact]
    public void FixtureHasTwentyOnePrompts() => Assert.Equal(21, Entries.Value.Length);

    [Theory]
    [MemberData(nameof(EntryIndices))]
    public void IdsMatchT5Tokenizer(int index)
    {
        var entry = Entries.Value[index];
        Assert.Equal(entry.Ids, Tokenizer.Value.Encode(entry.Text));
    }

    [Theory]
    [MemberData(nameof(EntryIndices))]
    public void PiecesMatchSentencePiece(int index)
    {
        var entry = Entries.Value[index];
        var pieces = Tokenizer.Value.EncodeToPieces(entry.Text);
        // The golden lists a merged run of unknowns as "<unk>"; our pieces are the covered text.
        var expected = entry.Pieces;
        Assert.Equal(expected.Length, pieces.Length);
        for (int i = 0; i < pieces.Length; i++)
        {
            if (expected[i] == "<unk>") Assert.Equal(Tokenizer.Value.UnkId, Tokenizer.Value.Encode(entry.Text)[i]);
            else Assert.Equal(expected[i], pieces[i]);
        }
    }
}
