using Stage.Inference.Checkpoints;
using Stage.Inference.Models.T5;
using Xunit.Abstractions;

namespace Stage.Inference.Tests.Models;

/// <summary>T5 encoder, projection and null condition against golden.safetensors (t5.*, lm.*, gen.*, e2e.* ids).</summary>
public class T5GoldenTests(ITestOutputHelper output)
{
    const float Tolerance = 1e-4f;

    // The batch golden.md documents for t5.*: one tokenizer call, padding=True.
    static readonly string[] GoldenBatch =
    [
        "funky drums with ghost notes, 100 bpm",
        "Genre(s): jazz, soul, funk. Mood(s): relaxed, warm, nostalgic. A slow groove with brushed snare, soft ride cymbal and a round upright bass; the drummer plays ghost notes on the snare, opens the hi-hat on the off-beat, and adds a small fill every eight bars, at 92 bpm in 4/4, recorded live in a small studio near the river.",
        "",
    ];

    static readonly Lazy<TextConditioner> Conditioner = new(() =>
    {
        var folder = ModelFolder.Open(Fixture.Directory);
        using var weights = folder.OpenWeights();
        return TextConditioner.Load(folder, weights);
    });

    static SafetensorsFile Golden() => SafetensorsFile.Open(Fixture.Golden);

    [Fact]
    public void BatchTokenIdsAndMasksMatchGolden()
    {
        using var golden = Golden();
        var ids = golden.ReadInt64("t5.input_ids", 3, -1);
        var tokenizerMask = golden.ReadInt64("t5.tokenizer_attention_mask", 3, -1);
        var stageMask = golden.ReadInt64("t5.attention_mask", 3, -1);
        var batch = Conditioner.Value.Tokenizer.EncodeBatch(GoldenBatch);
        Assert.Equal(133, batch.Length);
        Assert.Equal(ids.Select(v => (int)v).ToArray(), batch.Ids);
        Assert.Equal(tokenizerMask.Select(v => (byte)v).ToArray(), batch.Mask);

        var conditions = Conditioner.Value.EncodeBatch(GoldenBatch);
        var mask = conditions.SelectMany(c => c.Mask).ToArray();
        Assert.Equal(stageMask.Select(v => (byte)v).ToArray(), mask);
    }

    [Fact]
    public void EncoderHiddenStatesAndBlockOutputsMatchGolden()
    {
        using var golden = Golden();
        var ids = golden.ReadInt64("t5.input_ids", 3, 133);
        var mask = golden.ReadInt64("t5.attention_mask", 3, 133);
        var expected = golden.ReadFloat32("t5.last_hidden_state", 3, 133, 32);
        var expectedBlocks = new[] { golden.ReadFloat32("t5.debug.block_out.0", 3, 133, 32), golden.ReadFloat32("t5.debug.block_out.1", 3, 133, 32) };

        var encoder = Conditioner.Value.Encoder;
        int d = encoder.Config.DModel;
        Assert.Equal(32, d);
        float worst = 0, worstBlock = 0;
        int compared = 0;
        for (int row = 0; row < 3; row++)
        {
            var rowIds = ids.AsSpan(row * 133, 133).ToArray().Select(v => (int)v).ToArray();
            var rowMask = mask.AsSpan(row * 133, 133).ToArray().Select(v => (byte)v).ToArray();
            var hidden = new float[133 * d];
            var blocks = new float[2][];
            encoder.Encode(rowIds, rowMask, hidden, (block, h) => blocks[block] = h.ToArray());
            for (int t = 0; t < 133; t++)
            {
                if (rowMask[t] == 0) continue; // reference-only: masked positions carry no meaning
                compared++;
                for (int i = 0; i < d; i++)
                {
                    int at = (row * 133 + t) * d + i;
                    worst = Math.Max(worst, Math.Abs(hidden[t * d + i] - expected[at]));
                    for (int b = 0; b < 2; b++)
                        worstBlock = Math.Max(worstBlock, Math.Abs(blocks[b][t * d + i] - expectedBlocks[b][at]));
                }
            }
        }
        output.WriteLine($"T5 last_hidden_state max |diff| = {worst:E2}, block outputs max |diff| = {worstBlock:E2} over {compared} positions");
        Assert.Equal(14 + 133, compared); // row 0 has 14 tokens, row 1 is the longest (133); the empty row is fully masked
        Assert.True(worst <= Tolerance, $"last_hidden_state differs by {worst}");
        Assert.True(worstBlock <= Tolerance, $"block outputs differ by {worstBlock}");
    }

    [Fact]
    public void ProjectedStatesMatchGoldenIncludingExactZeros()
    {
        using var golden = Golden();
        var expected = golden.ReadFloat32("t5.projected", 3, 133, 64);
        var conditions = Conditioner.Value.EncodeBatch(GoldenBatch);
        Assert.All(conditions, c => Assert.Equal(64, c.Dim));
        float worst = 0;
        for (int row = 0; row < 3; row++)
        {
            var states = conditions[row].States;
            Assert.Equal(133 * 64, states.Length);
            for (int i = 0; i < states.Length; i++)
            {
                float want = expected[row * 133 * 64 + i];
                if (conditions[row].Mask[i / 64] == 0)
                {
                    Assert.Equal(0f, want);
                    Assert.Equal(0f, states[i]);
                }
                worst = Math.Max(worst, Math.Abs(states[i] - want));
            }
        }
        output.WriteLine($"projected max |diff| = {worst:E2}");
        Assert.True(worst <= Tolerance, $"projected states differ by {worst}");
        Assert.False(conditions[0].IsNull);
        Assert.True(conditions[2].IsNull);
    }

    [Fact]
    public void BFloat16LinearsStayWithinTheirRoundingOfTheGoldenStates()
    {
        var folder = ModelFolder.Open(Fixture.Directory);
        TextConditioner bf16;
        using (var weights = folder.OpenWeights()) bf16 = TextConditioner.Load(folder, weights, bfloat16: true);
        Assert.True(bf16.Encoder.IsBFloat16);
        Assert.False(Conditioner.Value.Encoder.IsBFloat16);

        using var golden = Golden();
        var expected = golden.ReadFloat32("t5.projected", 3, 133, 64);
        var conditions = bf16.EncodeBatch(GoldenBatch);
        float worst = 0, peak = 0;
        for (int row = 0; row < 3; row++)
            for (int i = 0; i < conditions[row].States.Length; i++)
            {
                float want = expected[row * 133 * 64 + i];
                if (conditions[row].Mask[i / 64] == 0) Assert.Equal(0f, conditions[row].States[i]);
                worst = Math.Max(worst, Math.Abs(conditions[row].States[i] - want));
                peak = Math.Max(peak, Math.Abs(want));
            }
        output.WriteLine($"bf16 T5: projected max |diff| = {worst:E2} (peak {peak:0.###})");
        // bfloat16 keeps 8 significant bits (relative rounding 2^-9 per weight); through two blocks and the projection the
        // states move by a few of those, far less than the float32 states' own spread, and never by nothing.
        Assert.True(worst > Tolerance, "the states did not move: the weights are not stored as bfloat16");
        Assert.True(worst <= 0.01f * peak, $"projected states differ by {worst} (peak {peak})");
        Assert.True(conditions[2].IsNull);
    }

    [Fact]
    public void SinglePromptEqualsItsRowOfThePaddedBatch()
    {
        var batch = Conditioner.Value.EncodeBatch(GoldenBatch);
        var single = Conditioner.Value.Encode(GoldenBatch[0]);
        Assert.Equal(14, single.Length);
        Assert.All(single.Mask, m => Assert.Equal(1, m));
        for (int i = 0; i < single.States.Length; i++) Assert.Equal(batch[0].States[i], single.States[i], 1e-5f);
    }

    [Fact]
    public void CrossAttentionMemoryOfTheLmGoldenMatches()
    {
        // lm.cross_data: row 0 = projected T5 of the prompt, row 1 = the null condition as zeros.
        using var golden = Golden();
        var ids = golden.ReadInt64("lm.text_input_ids", 2, 26);
        var cross = golden.ReadFloat32("lm.cross_data", 2, 26, 64);
        const string prompt = "lo-fi chill beat with drums, keyboard and bass playing in a relaxed mood";
        var conditions = Conditioner.Value.EncodeBatch([prompt, ""]);
        Assert.Equal(ids.Select(v => (int)v).ToArray(), conditions.SelectMany(c => c.InputIds).ToArray());
        float worst = 0;
        for (int i = 0; i < 26 * 64; i++) worst = Math.Max(worst, Math.Abs(conditions[0].States[i] - cross[i]));
        Assert.True(worst <= Tolerance, $"cross-attention memory differs by {worst}");
        Assert.All(cross.AsSpan(26 * 64).ToArray(), v => Assert.Equal(0f, v));
        Assert.All(conditions[1].States, v => Assert.Equal(0f, v));
        Assert.True(conditions[1].IsNull);
    }

    [Theory]
    [InlineData("gen.prompt_input_ids", "funky drums with ghost notes, 100 bpm")]
    [InlineData("e2e.prompt_input_ids", "Genre(s): rock, pop, indie. Mood(s): energetic, happy, uplifting. ")]
    public void GenerationPromptIdsMatchGolden(string name, string prompt)
    {
        using var golden = Golden();
        var ids = golden.ReadInt64(name, 2, -1).Select(v => (int)v).ToArray();
        var batch = Conditioner.Value.Tokenizer.EncodeBatch([prompt, ""]);
        Assert.Equal(ids, batch.Ids);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    public void EmptyPromptIsTheNullCondition(string? prompt)
    {
        var condition = Conditioner.Value.Encode(prompt);
        Assert.True(condition.IsNull);
        Assert.Equal(1, condition.Length);
        Assert.Equal([1], condition.InputIds);
        Assert.Equal([(byte)0], condition.Mask);
        Assert.Equal(64, condition.States.Length);
        Assert.All(condition.States, v => Assert.Equal(0f, v));
    }

    [Fact]
    public void WhitespacePromptIsNotNullButItsLoneEos()
    {
        // STAGE zeroes the mask only for the exact string "": " " runs T5 on [</s>].
        var condition = Conditioner.Value.Encode(" ");
        Assert.False(condition.IsNull);
        Assert.Equal([1], condition.InputIds);
        Assert.Equal([(byte)1], condition.Mask);
        Assert.Contains(condition.States, v => v != 0f);
    }

    [Fact]
    public void RelativePositionBucketsFollowTheSpecTable()
    {
        // Spec §3.2: |r| 0–7 → r; 8–11 → 8; 12–15 → 9; 16–22 → 10; 23–31 → 11; 32–45 → 12;
        // 46–63 → 13; 64–90 → 14; ≥91 → 15; positive offsets add 16.
        (int from, int to, int bucket)[] table =
            [(8, 11, 8), (12, 15, 9), (16, 22, 10), (23, 31, 11), (32, 45, 12), (46, 63, 13), (64, 90, 14), (91, 600, 15)];
        for (int r = 0; r < 8; r++)
        {
            Assert.Equal(r, RelativePositionBucket.Bidirectional(-r, 32, 128));
            Assert.Equal(r == 0 ? 0 : 16 + r, RelativePositionBucket.Bidirectional(r, 32, 128));
        }
        foreach (var (from, to, bucket) in table)
            for (int r = from; r <= to; r++)
            {
                Assert.Equal(bucket, RelativePositionBucket.Bidirectional(-r, 32, 128));
                Assert.Equal(16 + bucket, RelativePositionBucket.Bidirectional(r, 32, 128));
            }
    }
}
