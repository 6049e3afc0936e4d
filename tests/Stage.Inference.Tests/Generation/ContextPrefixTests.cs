using Stage.Inference.Generation;

namespace Stage.Inference.Tests.Generation;

public class ContextPrefixTests
{
    /// <summary>lm.* layout: C = 7 context frames, N = 5 target frames written in as generated.</summary>
    static ContextPrefix TeacherForced()
    {
        var context = Goldens.Codes("lm.context_codes");
        var target = Goldens.Codes("lm.target_codes");
        var prefix = new ContextPrefix(context, null, target[0].Length);
        for (int s = prefix.StartStep; s < prefix.Steps; s++)
            for (int q = 0; q < 4; q++)
            {
                int t = prefix.GeneratedFrameAt(s, q);
                if (t >= 0) Assert.True(prefix.Write(s, q, target[q][t]));
            }
        return prefix;
    }

    static readonly PrefixRow[] Rows = [PrefixRow.Conditional, PrefixRow.Unconditional];

    [Fact]
    public void TokensMatchStage()
    {
        var prefix = TeacherForced();
        var golden = Goldens.Longs("lm.tokens"); // [2, 4, 17]
        Assert.Equal(17, prefix.Steps);
        Assert.Equal(9, prefix.StartStep);
        for (int row = 0; row < 2; row++)
        {
            var tokens = prefix.Sequence(Rows[row]);
            for (int q = 0; q < 4; q++)
                for (int s = 0; s < 17; s++)
                    Assert.Equal(golden[(row * 4 + q) * 17 + s], tokens[q][s]);
        }
    }

    [Fact]
    public void MasksAndPositionsMatchStage()
    {
        var prefix = TeacherForced();
        var finalMask = Goldens.Longs("lm.final_mask");
        var attention = Goldens.Longs("lm.attention_mask");
        var positions = Goldens.Longs("lm.positions");
        for (int row = 0; row < 2; row++)
        {
            var mask = prefix.FinalMask(Rows[row]);
            for (int q = 0; q < 4; q++)
                for (int s = 0; s < 17; s++)
                    Assert.Equal(finalMask[(row * 4 + q) * 17 + s] == 1, mask[q][s]);
            var keys = prefix.AttentionMask(Rows[row]);
            var pos = prefix.Positions(Rows[row]);
            for (int s = 0; s < 17; s++)
            {
                Assert.Equal(attention[row * 17 + s] == 1, keys[s]);
                Assert.Equal(positions[row * 17 + s], pos[s]);
            }
        }
    }

    [Fact]
    public void StreamsStartAtTheFirstAttendedStepWithPositionZero()
    {
        var prefix = TeacherForced();
        foreach (var row in Rows)
        {
            var keys = prefix.AttentionMask(row);
            var positions = prefix.Positions(row);
            int first = prefix.FirstStep(row);
            Assert.Equal(Array.IndexOf(keys, true), first);
            for (int s = first; s < prefix.Steps; s++)
            {
                Assert.True(keys[s]); // every later step is attended: a plain causal stream
                Assert.Equal(positions[s], prefix.Position(row, s));
            }
        }
    }

    [Fact]
    public void FinalLmInputOfGreedyRunMatchesStage()
    {
        // gen.final_lm_input holds steps 0..S-2 of both rows after the whole greedy run.
        var prefix = new ContextPrefix(Goldens.Codes("gen.context_codes"), null, 12);
        var codes = Goldens.Codes("gen.codes");
        for (int s = prefix.StartStep; s < prefix.Steps; s++)
            for (int q = 0; q < 4; q++)
            {
                int t = prefix.GeneratedFrameAt(s, q);
                if (t >= 0) prefix.Write(s, q, codes[q][t]);
            }
        var golden = Goldens.Longs("gen.final_lm_input"); // [2, 4, 23]
        var mask = Goldens.Longs("gen.final_attention_mask");
        for (int row = 0; row < 2; row++)
        {
            var tokens = prefix.Sequence(Rows[row]);
            var keys = prefix.AttentionMask(Rows[row]);
            for (int s = 0; s < 23; s++)
            {
                Assert.Equal(mask[row * 23 + s] == 1, keys[s]);
                for (int q = 0; q < 4; q++) Assert.Equal(golden[(row * 4 + q) * 23 + s], tokens[q][s]);
            }
        }
        Assert.Equal(codes, prefix.GeneratedCodes());
    }

    [Fact]
    public void WritesOnlyUnknownGeneratedEntries()
    {
        var context = new[] { new[] { 1, 2 }, new[] { 3, 4 }, new[] { 5, 6 }, new[] { 7, 8 } };
        var prompt = new[] { new[] { 10 }, new[] { 11 }, new[] { 12 }, new[] { 13 } };
        var prefix = new ContextPrefix(context, prompt, 2);
        Assert.Equal(2 + 1 + 1 + 2, prefix.Frames);
        Assert.Equal(5, prefix.StartStep); // first step holding frame C+1+P = 4 for codebook 0
        Assert.False(prefix.Write(5, 1, 99)); // codebook 1 at step 5 is the prompt frame
        Assert.True(prefix.Write(5, 0, 99));
        Assert.False(prefix.Write(5, 0, 98)); // already written
        Assert.Equal(99, prefix.Generated(0, 0));
        Assert.Equal(-1, prefix.Generated(1, 0));
        Assert.Equal(ContextPrefix.SpecialToken, prefix.Token(PrefixRow.Unconditional, 2, 0)); // context masked
        Assert.Equal(12, prefix.Token(PrefixRow.Unconditional, 6, 2)); // prompt kept in both rows
        Assert.Throws<InvalidOperationException>(() => prefix.StepTokens(PrefixRow.Conditional, 6, new int[4]));
    }

    [Fact]
    public void DelayPatternRoundTrips()
    {
        var codes = new[] { new[] { 1, 2, 3 }, new[] { 4, 5, 6 }, new[] { 7, 8, 9 }, new[] { 10, 11, 12 } };
        var sequence = DelayPattern.Interleave(codes, 2048);
        Assert.Equal(7, sequence[0].Length);
        Assert.Equal([2048, 1, 2, 3, 2048, 2048, 2048], sequence[0]);
        Assert.Equal([2048, 2048, 2048, 2048, 10, 11, 12], sequence[3]);
        Assert.Equal(codes, DelayPattern.Revert(sequence));
    }

    [Fact]
    public void RejectsCodesOutsideTheCard()
    {
        var bad = new[] { new[] { 2048 }, new[] { 0 }, new[] { 0 }, new[] { 0 } };
        var e = Assert.Throws<ArgumentException>(() => new ContextPrefix(bad, null, 1));
        Assert.Contains("2048", e.Message);
    }
}
