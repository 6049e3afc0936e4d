using Stage.Inference.Generation;

namespace Stage.Inference.Tests.Generation;

public class TopKSamplerTests
{
    [Fact]
    public void GeneratorIsXoshiro256StarStarSeededBySplitMix64()
    {
        // Reference values from an independent implementation of the published algorithms (seed 42).
        var random = new Xoshiro256StarStar(42);
        Assert.Equal(0x15780b2e0c2ec716UL, random.NextUInt64());
        Assert.Equal(0x6104d9866d113a7eUL, random.NextUInt64());
        Assert.Equal(0xae17533239e499a1UL, random.NextUInt64());
    }

    [Fact]
    public void KeepsTiesAtTheThresholdLikeStage()
    {
        // top-2 of [5, 3, 3, 3, 1]: the 2nd largest probability is shared by three tokens → four are kept.
        var sampler = new TopKSampler(5);
        var random = new Xoshiro256StarStar(1);
        var seen = new int[5];
        for (int i = 0; i < 4000; i++) seen[sampler.Sample([5f, 3f, 3f, 3f, 1f], 2, 1f, random)]++;
        Assert.Equal(0, seen[4]);
        for (int t = 0; t < 4; t++) Assert.True(seen[t] > 0, $"token {t} never sampled");
    }

    [Fact]
    public void NeverSamplesOutsideTheTopK()
    {
        var sampler = new TopKSampler(2048);
        var random = new Xoshiro256StarStar(3);
        var logits = new float[2048];
        var r = new Random(5);
        for (int i = 0; i < logits.Length; i++) logits[i] = (float)r.NextDouble();
        var top = logits.Select((v, i) => (v, i)).OrderByDescending(p => p.v).Take(250).Select(p => p.i).ToHashSet();
        for (int i = 0; i < 2000; i++) Assert.Contains(sampler.Sample(logits, 250, 1f, random), top);
    }

    [Fact]
    public void FollowsTheTemperedSoftmax()
    {
        float[] logits = [0f, 1f, 2f, 0.5f];
        foreach (float temperature in new[] { 1f, 0.5f, 2f })
        {
            var sampler = new TopKSampler(4);
            var random = new Xoshiro256StarStar(9);
            var counts = new int[4];
            const int draws = 40000;
            for (int i = 0; i < draws; i++) counts[sampler.Sample(logits, 0, temperature, random)]++;
            var p = logits.Select(l => Math.Exp(l / temperature)).ToArray();
            double sum = p.Sum();
            for (int t = 0; t < 4; t++)
            {
                double expected = p[t] / sum, observed = counts[t] / (double)draws;
                double sigma = Math.Sqrt(expected * (1 - expected) / draws);
                Assert.True(Math.Abs(observed - expected) < 5 * sigma, $"T={temperature} token {t}: {observed:F4} vs {expected:F4}");
            }
        }
    }

    [Fact]
    public void TopKOneAndTemperatureZeroAreArgmaxWithoutDrawing()
    {
        var sampler = new TopKSampler(6);
        var random = new Xoshiro256StarStar(4);
        var untouched = new Xoshiro256StarStar(4);
        float[] logits = [0.1f, 7f, -3f, 7f, 2f, 6.9f];
        Assert.Equal(1, sampler.Sample(logits, 1, 1f, random));   // first maximum, like torch.argmax
        Assert.Equal(1, sampler.Sample(logits, 250, 0f, random));
        Assert.Equal(untouched.NextUInt64(), random.NextUInt64());
    }

    [Fact]
    public void RejectsBadSettings()
    {
        var sampler = new TopKSampler(4);
        var random = new Xoshiro256StarStar(0);
        Assert.Throws<ArgumentOutOfRangeException>(() => sampler.Sample([0, 0, 0, 0], -1, 1f, random));
        Assert.Throws<ArgumentOutOfRangeException>(() => sampler.Sample([0, 0, 0, 0], 2, float.NaN, random));
        Assert.Throws<ArgumentException>(() => sampler.Sample([0, 0, 0], 2, 1f, random));
    }
}
