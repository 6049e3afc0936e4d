namespace Stage.Inference.Generation;

/// <summary>
/// The sampling random generator: xoshiro256** (Blackman &amp; Vigna, 2018), its 256-bit state seeded from
/// the 64-bit seed with SplitMix64 as its authors recommend. Uniform doubles take the top 53 bits.
/// Fixed here (not <see cref="Random"/>, whose algorithm may change between .NET versions) so that a seed
/// names the same stem on every machine and release. STAGE's torch generator cannot be reproduced.
/// </summary>
public sealed class Xoshiro256StarStar
{
    ulong _s0, _s1, _s2, _s3;

    public Xoshiro256StarStar(ulong seed)
    {
        ulong x = seed;
        _s0 = SplitMix64(ref x);
        _s1 = SplitMix64(ref x);
        _s2 = SplitMix64(ref x);
        _s3 = SplitMix64(ref x);
    }

    public ulong NextUInt64()
    {
        ulong result = ulong.RotateLeft(_s1 * 5, 7) * 9;
        ulong t = _s1 << 17;
        _s2 ^= _s0;
        _s3 ^= _s1;
        _s1 ^= _s2;
        _s0 ^= _s3;
        _s2 ^= t;
        _s3 = ulong.RotateLeft(_s3, 45);
        return result;
    }

    /// <summary>Uniform in [0, 1) with 53 random bits.</summary>
    public double NextDouble() => (NextUInt64() >> 11) * (1.0 / (1UL << 53));

    static ulong SplitMix64(ref ulong x)
    {
        ulong z = x += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }
}
