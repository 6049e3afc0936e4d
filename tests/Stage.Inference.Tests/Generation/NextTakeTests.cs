using Stage.Inference.Generation;

namespace Stage.Inference.Tests.Generation;

/// <summary>
/// A producer's next take of the same bars reuses the context's codes and the LM's prefill; what it generates must be
/// exactly what a fresh engine would, and anything that changes the prefix must prefill afresh.
/// </summary>
public class NextTakeTests
{
    static StageModel LoadModel() => StageModel.Load(Fixture.Directory);
    static readonly GenerationOptions Sampled = new() { Frames = 14, TopK = 50, Temperature = 1, Seed = 7, Prompt = "funky drums" };

    static float[] Signal(int seed, int samples = 9000)
    {
        var random = new Random(seed);
        var audio = new float[samples];
        for (int i = 0; i < audio.Length; i++) audio[i] = (float)Math.Sin(i * 0.01 * (1 + seed)) * 0.5f + (float)(random.NextDouble() - 0.5) * 0.1f;
        return audio;
    }

    [Fact]
    public void TheSameBarsAreEncodedOnce()
    {
        var model = LoadModel();
        var audio = Signal(1);
        var first = model.EncodeContext(audio);
        Assert.False(model.LastContextWasKept);
        first[0][0] = -1;   // a caller's changes do not reach the kept codes
        var again = model.EncodeContext(audio.ToArray());
        Assert.True(model.LastContextWasKept);
        Assert.Equal(LoadModel().EncodeContext(audio), again);

        var other = Signal(1);
        other[4500] = BitConverter.Int32BitsToSingle(BitConverter.SingleToInt32Bits(other[4500]) ^ 1);   // one bit of one sample
        model.EncodeContext(other);
        Assert.False(model.LastContextWasKept);
        model.EncodeContext(audio);
        Assert.True(model.LastContextWasKept);   // both are kept
    }

    [Fact]
    public void TheSamePromptIsEncodedOnce()
    {
        var model = LoadModel();
        var first = model.EncodeText("funky drums").ToArray();
        Assert.False(model.LastTextWasKept);
        Assert.Equal(first, model.EncodeText("funky drums").ToArray());
        Assert.True(model.LastTextWasKept);
        Assert.Equal(LoadModel().EncodeText("funky drums").ToArray(), first);

        var other = model.EncodeText("funky drums!");
        Assert.False(model.LastTextWasKept);
        Assert.NotEqual(first, other.ToArray());
        Assert.True(model.EncodeText(null).IsEmpty);    // the null condition
        Assert.True(model.EncodeText("").IsEmpty);
        Assert.True(model.LastTextWasKept);              // "" is the same null condition as null
        model.EncodeText("funky drums");
        Assert.True(model.LastTextWasKept);              // both prompts are kept
    }

    [Fact]
    public void ANextTakeRestoresThePrefillAndGeneratesWhatAFreshEngineWould()
    {
        var model = LoadModel();
        var context = model.EncodeContext(Signal(2));
        var generator = new StageGenerator();
        var first = generator.Generate(model, context, Sampled, null, CancellationToken.None);
        Assert.False(generator.LastPrefillWasKept);
        Assert.True(generator.KeptPrefillInPlace);   // kept where it was computed: nothing copied

        // the same take again, and another seed, a longer stem and two variations on the kept prefill
        Assert.Equal(first, generator.Generate(model, context, Sampled, null, CancellationToken.None));
        Assert.True(generator.LastPrefillWasKept);
        Assert.True(generator.KeptPrefillInPlace);
        // a longer stem needs larger streams: the kept prefill is copied out of the old ones, restored from the copy, and
        // is the live streams' again
        foreach (var options in new[] { Sampled with { Seed = 8 }, Sampled with { Frames = 30 } })
        {
            var taken = generator.Generate(model, context, options, null, CancellationToken.None);
            Assert.True(generator.LastPrefillWasKept);
            Assert.True(generator.KeptPrefillInPlace);
            Assert.Equal(new StageGenerator().Generate(model, context, options, null, CancellationToken.None), taken);
        }
        var text = model.EncodeText(Sampled.Prompt);
        var batched = generator.Generate(model.Lm, context, text, Sampled with { Seed = 9 }, 2, null, null, CancellationToken.None);
        Assert.True(generator.LastPrefillWasKept);
        Assert.Equal(new StageGenerator().Generate(model.Lm, context, text, Sampled with { Seed = 9 }, 2, null, null, CancellationToken.None), batched);
    }

    [Fact]
    public void AnotherPromptContextOrStemPromptPrefillsAfresh()
    {
        var model = LoadModel();
        var context = model.EncodeContext(Signal(3));
        var generator = new StageGenerator();
        generator.Generate(model, context, Sampled, null, CancellationToken.None);

        generator.Generate(model, context, Sampled with { Prompt = "funky drums!" }, null, CancellationToken.None);
        Assert.False(generator.LastPrefillWasKept);

        var shifted = context.Select(q => q.ToArray()).ToArray();
        shifted[2][^1] = (shifted[2][^1] + 1) % 2048;   // one code of the context's last frame
        var taken = generator.Generate(model, shifted, Sampled, null, CancellationToken.None);
        Assert.False(generator.LastPrefillWasKept);
        Assert.Equal(new StageGenerator().Generate(model, shifted, Sampled, null, CancellationToken.None), taken);

        // a later window (a stem prompt) neither uses nor replaces the kept first window
        var prompt = new[] { new[] { 1, 2, 3 }, new[] { 4, 5, 6 }, new[] { 7, 8, 9 }, new[] { 10, 11, 12 } };
        generator.Generate(model, shifted, Sampled with { PromptCodes = prompt }, null, CancellationToken.None);
        Assert.False(generator.LastPrefillWasKept);
        Assert.False(generator.KeptPrefillInPlace);   // copied out before the later window wrote over it
        var again = generator.Generate(model, shifted, Sampled, null, CancellationToken.None);
        Assert.True(generator.LastPrefillWasKept);
        Assert.Equal(taken, again);
    }

    [Fact]
    public void ALaterWindowInStreamsBigEnoughCopiesTheKeptPrefillOutFirst()
    {
        // The streams of a longer first take are reused by the later window, whose prefill writes over the kept steps
        // and text after Prepare has forgotten their lengths.
        var model = LoadModel();
        var context = model.EncodeContext(Signal(4));
        var longer = Sampled with { Frames = 30 };
        var generator = new StageGenerator();
        var first = generator.Generate(model, context, longer, null, CancellationToken.None);
        Assert.True(generator.KeptPrefillInPlace);
        var prompt = new[] { new[] { 1, 2, 3 }, new[] { 4, 5, 6 }, new[] { 7, 8, 9 }, new[] { 10, 11, 12 } };
        var later = generator.Generate(model, context, Sampled with { PromptCodes = prompt, Prompt = "slow bass" }, null, CancellationToken.None);
        Assert.False(generator.KeptPrefillInPlace);
        Assert.Equal(new StageGenerator().Generate(model, context, Sampled with { PromptCodes = prompt, Prompt = "slow bass" }, null, CancellationToken.None), later);
        Assert.Equal(first, generator.Generate(model, context, longer, null, CancellationToken.None));
        Assert.True(generator.LastPrefillWasKept);
    }
}
