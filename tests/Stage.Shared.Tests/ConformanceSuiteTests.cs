using System.Globalization;
using System.Numerics;
using System.Text.Json;
using Stage.Shared.Protocol;

namespace Stage.Shared.Tests;

/// <summary>
/// The msgpack-test-suite npm package's conformance data (installed with the interop tests): every
/// encoding of every value must decode to that value, the writer's encoding must be one of them, and
/// the timestamp and ext cases must be refused (Stage uses no ext types).
/// </summary>
public class ConformanceSuiteTests
{
    public static TheoryData<string, int> Cases()
    {
        var data = new TheoryData<string, int>();
        foreach (var group in Suite().RootElement.EnumerateObject())
            for (int i = 0; i < group.Value.GetArrayLength(); i++) data.Add(group.Name, i);
        return data;
    }

    static JsonDocument Suite()
    {
        string path = Path.Combine(Node.InteropFolder, "node_modules", "msgpack-test-suite", "dist", "msgpack-test-suite.json");
        if (!File.Exists(path))
            throw new InvalidOperationException($"msgpack-test-suite is not installed; run: npm ci --prefix {Node.InteropFolder}");
        return JsonDocument.Parse(File.ReadAllText(path));
    }

    [Fact]
    public void TheSuiteHasAllItsGroups() =>
        Assert.Equal(15, Suite().RootElement.EnumerateObject().Count());

    [Theory, MemberData(nameof(Cases))]
    public void Case(string group, int index)
    {
        using var suite = Suite();
        var testCase = suite.RootElement.GetProperty(group)[index];
        var encodings = testCase.GetProperty("msgpack").EnumerateArray()
            .Select(e => Convert.FromHexString(e.GetString()!.Replace("-", ""))).ToArray();
        if (testCase.TryGetProperty("ext", out _) || testCase.TryGetProperty("timestamp", out _))
        {
            foreach (var bytes in encodings)
            {
                var e = Assert.Throws<MessagePackException>(() => MessagePackTree.Decode(bytes));
                Assert.Contains("ext type", e.Message);
            }
            return;
        }
        object? expected = Expected(testCase);
        foreach (var bytes in encodings)
        {
            var decoded = MessagePackTree.Decode(bytes);
            Assert.True(MessagePackTree.Same(expected, decoded),
                $"{Convert.ToHexString(bytes)} decoded to {MessagePackTree.Show(decoded)}, expected {MessagePackTree.Show(expected)}");
        }
        var ours = MessagePackTree.Encode(expected);
        Assert.Contains(encodings, e => e.AsSpan().SequenceEqual(ours));
    }

    static object? Expected(JsonElement testCase)
    {
        if (testCase.TryGetProperty("bignum", out var big))
        {
            var value = BigInteger.Parse(big.GetString()!, CultureInfo.InvariantCulture);
            return value > long.MaxValue ? (ulong)value : (long)value;
        }
        foreach (var property in testCase.EnumerateObject())
        {
            if (property.Name == "msgpack") continue;
            return property.Name == "binary" ? Hex(property.Value.GetString()!) : FromJson(property.Value);
        }
        throw new InvalidDataException("a case without a value");
    }

    static byte[] Hex(string dashed) => dashed.Length == 0 ? [] : Convert.FromHexString(dashed.Replace("-", ""));

    static object? FromJson(JsonElement e) => e.ValueKind switch
    {
        JsonValueKind.Null => null,
        JsonValueKind.True => true,
        JsonValueKind.False => false,
        JsonValueKind.String => e.GetString(),
        JsonValueKind.Number => e.TryGetInt64(out long l) ? (object)l : e.GetDouble(),
        JsonValueKind.Array => e.EnumerateArray().Select(FromJson).ToArray(),
        JsonValueKind.Object => e.EnumerateObject().Select(p => new KeyValuePair<object?, object?>(p.Name, FromJson(p.Value))).ToList(),
        _ => throw new InvalidDataException(e.ValueKind.ToString()),
    };
}
