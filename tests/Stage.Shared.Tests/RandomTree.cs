namespace Stage.Shared.Tests;

/// <summary>Random MessagePack value trees in <see cref="MessagePackTree"/>'s shapes, boundary-heavy.</summary>
static class RandomTree
{
    static readonly long[] Interesting =
    [
        0, 1, 127, 128, 255, 256, 65535, 65536, uint.MaxValue, (long)uint.MaxValue + 1, long.MaxValue,
        -1, -32, -33, -128, -129, -32768, -32769, int.MinValue, (long)int.MinValue - 1, long.MinValue,
    ];

    /// <param name="stringKeysOnly">maps get unique, non-numeric string keys (what a JavaScript object keeps in order)</param>
    public static object? Make(Random random, int depth, bool stringKeysOnly = false, bool float32 = true)
    {
        int kind = random.Next(depth > 0 ? 12 : 10);
        switch (kind)
        {
            case 0: return null;
            case 1: return random.Next(2) == 0;
            case 2: return unchecked(Interesting[random.Next(Interesting.Length)] + random.Next(-1, 2));
            case 3: return random.NextInt64(long.MinValue, long.MaxValue);
            case 4: return random.Next(3) == 0 ? (ulong)random.NextInt64() + (ulong)long.MaxValue + 1 : (long)random.Next(-100, 100);
            case 5: return float32 ? (object)(float)(random.NextDouble() * 1000 - 500) : random.NextDouble();
            case 6: return random.Next(8) switch { 0 => double.NaN, 1 => double.PositiveInfinity, 2 => double.NegativeInfinity, _ => (random.NextDouble() - 0.5) * Math.Pow(10, random.Next(-300, 300)) };
            case 7: return RandomString(random);
            case 8:
            {
                var bytes = new byte[random.Next(4) == 0 ? random.Next(65530, 65540) : random.Next(0, 300)];
                random.NextBytes(bytes);
                return bytes;
            }
            case 9: return "";
            case 10:
            {
                var items = new object?[random.Next(4) == 0 ? random.Next(14, 20) : random.Next(0, 5)];
                for (int i = 0; i < items.Length; i++) items[i] = Make(random, depth - 1, stringKeysOnly, float32);
                return items;
            }
            default:
            {
                int count = random.Next(4) == 0 ? random.Next(14, 20) : random.Next(0, 5);
                var map = new List<KeyValuePair<object?, object?>>(count);
                for (int i = 0; i < count; i++)
                {
                    object? key = stringKeysOnly || random.Next(2) == 0 ? $"k{i}_{RandomString(random)}" : (long)i;
                    map.Add(new(key, Make(random, depth - 1, stringKeysOnly, float32)));
                }
                return map;
            }
        }
    }

    static string RandomString(Random random)
    {
        const string alphabet = "abcxyz019 _-äöü€日本♪";
        int length = random.Next(8) == 0 ? random.Next(30, 300) : random.Next(0, 12);
        var chars = new char[length];
        for (int i = 0; i < length; i++) chars[i] = alphabet[random.Next(alphabet.Length)];
        var s = new string(chars);
        return random.Next(10) == 0 ? s + "🥁" : s;
    }
}
