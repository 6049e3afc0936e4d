using System.Buffers;
using MessagePack;
using Stage.Shared.Protocol;

namespace Stage.Shared.Tests;

/// <summary>
/// Generic MessagePack values for tests: null, bool, long, ulong (above long.MaxValue only), float,
/// double, string, byte[], object?[] (array), and List&lt;KeyValuePair&lt;object?, object?&gt;&gt; (map).
/// Built on the production reader and writer.
/// </summary>
static class MessagePackTree
{
    public static byte[] Encode(object? value)
    {
        var output = new ArrayBufferWriter<byte>();
        var writer = new PayloadWriter(output);
        Write(ref writer, value);
        writer.Flush();
        return output.WrittenSpan.ToArray();
    }

    public static void Write(ref PayloadWriter writer, object? value)
    {
        switch (value)
        {
            case null: writer.WriteNil(); break;
            case bool b: writer.Write(b); break;
            case int i: writer.Write(i); break;
            case long l: writer.Write(l); break;
            case ulong u: writer.Write(u); break;
            case float f: writer.Write(f); break;
            case double d: writer.Write(d); break;
            case string s: writer.Write(s); break;
            case byte[] bytes: writer.Write(bytes.AsSpan()); break;
            case object?[] array:
                writer.WriteArrayHeader(array.Length);
                foreach (var item in array) Write(ref writer, item);
                break;
            case List<KeyValuePair<object?, object?>> map:
                writer.WriteMapHeader(map.Count);
                foreach (var (k, v) in map) { Write(ref writer, k); Write(ref writer, v); }
                break;
            default: throw new ArgumentException($"no MessagePack form for {value.GetType()}");
        }
    }

    /// <summary>Decodes exactly one value that spans all of <paramref name="bytes"/>.</summary>
    public static object? Decode(byte[] bytes)
    {
        var reader = new PayloadReader(bytes);
        var value = Read(ref reader, 0);
        if (!reader.End) throw new MessagePackException($"{reader.Remaining} trailing bytes", reader.Position);
        return value;
    }

    public static object? Read(ref PayloadReader reader, int depth)
    {
        if (depth > reader.MaxDepth) throw new MessagePackException("too deep", reader.Position);
        switch (reader.PeekType())
        {
            case MessagePackType.Nil: reader.ReadNil(); return null;
            case MessagePackType.Boolean: return reader.ReadBoolean();
            case MessagePackType.Integer:
            {
                var probe = reader;
                try { return reader.ReadInt64(); }
                catch (MessagePackException) { reader = probe; return reader.ReadUInt64(); }
            }
            case MessagePackType.Float: return reader.ReadDouble();
            case MessagePackType.String: return reader.ReadString();
            case MessagePackType.Binary: return reader.ReadBinary().ToArray();
            case MessagePackType.Array:
            {
                var items = new object?[reader.ReadArrayHeader()];
                for (int i = 0; i < items.Length; i++) items[i] = Read(ref reader, depth + 1);
                return items;
            }
            case MessagePackType.Map:
            {
                int count = reader.ReadMapHeader();
                var map = new List<KeyValuePair<object?, object?>>(count);
                for (int i = 0; i < count; i++)
                {
                    var key = Read(ref reader, depth + 1);
                    map.Add(new(key, Read(ref reader, depth + 1)));
                }
                return map;
            }
            default:
                reader.Skip(); // throws: ext types are rejected
                throw new InvalidOperationException("unreachable");
        }
    }

    /// <summary>Structural equality; numbers compare by value (a peer may re-encode 2.0 as the int 2).</summary>
    public static bool Same(object? a, object? b)
    {
        switch (a, b)
        {
            case (null, null): return true;
            case (bool x, bool y): return x == y;
            case (string x, string y): return x == y;
            case (byte[] x, byte[] y): return x.AsSpan().SequenceEqual(y);
            case (object?[] x, object?[] y):
                if (x.Length != y.Length) return false;
                for (int i = 0; i < x.Length; i++) if (!Same(x[i], y[i])) return false;
                return true;
            case (List<KeyValuePair<object?, object?>> x, List<KeyValuePair<object?, object?>> y):
                if (x.Count != y.Count) return false;
                for (int i = 0; i < x.Count; i++)
                    if (!Same(x[i].Key, y[i].Key) || !Same(x[i].Value, y[i].Value)) return false;
                return true;
            case (ulong x, ulong y): return x == y;
            case (ulong, _) or (_, ulong): return false;
            case (long x, long y): return x == y;
            default:
                if (!IsNumber(a) || !IsNumber(b)) return false;
                double dx = Convert.ToDouble(a), dy = Convert.ToDouble(b);
                return dx.Equals(dy) || dx == dy; // Equals makes NaN equal NaN
        }
    }

    static bool IsNumber(object? x) => x is long or float or double or int;

    public static string Show(object? value) => value switch
    {
        null => "nil",
        string s => $"\"{s}\"",
        byte[] b => $"bin[{b.Length}]",
        object?[] a => $"[{string.Join(", ", a.Select(Show))}]",
        List<KeyValuePair<object?, object?>> m => $"{{{string.Join(", ", m.Select(kv => $"{Show(kv.Key)}: {Show(kv.Value)}"))}}}",
        double d => d.ToString("R"),
        _ => value.ToString() ?? "",
    };
}
