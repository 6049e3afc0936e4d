using System.Buffers.Binary;
using System.Text;

namespace Stage.Plugin.Processing;

/// <summary>
/// The processor's saved state, little-endian:
/// magic "STGS", uint16 version, uint16 parameter count, then (uint32 id, float64 normalized) per
/// parameter, then uint8 has-stem and, if set, float64 start PPQ, float64 length in quarters,
/// float64 sample rate, int32 file count and per file an int32 UTF-8 length and the bytes.
/// Version 2 adds, after that, the prompt and the instance id (each an int32 UTF-8 length and the bytes).
/// Parameters are stored by id so that a later version may add some; unknown ids are skipped.
/// </summary>
public sealed record PluginState(IReadOnlyDictionary<ParameterId, double> Parameters, StemReference? Stem, string Prompt = "", string? InstanceId = null)
{
    public const ushort CurrentVersion = 2;
    const int MaxTextBytes = 16 * 1024;
    static ReadOnlySpan<byte> Magic => "STGS"u8;

    public static PluginState Capture(ParameterValues values, StemReference? stem, string prompt = "", string? instanceId = null)
    {
        var parameters = new Dictionary<ParameterId, double>();
        foreach (var spec in StageParameters.All)
            if (!spec.IsReadOnly && spec.Id is not (ParameterId.Generate or ParameterId.OpenControlRoom)) parameters[spec.Id] = values[spec.Id];
        return new PluginState(parameters, stem, prompt, instanceId);
    }

    public void ApplyTo(ParameterValues values)
    {
        foreach (var (id, v) in Parameters) values[id] = v;
    }

    public byte[] Serialize()
    {
        var o = new MemoryStream();
        Span<byte> b = stackalloc byte[8];
        o.Write(Magic);
        BinaryPrimitives.WriteUInt16LittleEndian(b, CurrentVersion); o.Write(b[..2]);
        BinaryPrimitives.WriteUInt16LittleEndian(b, (ushort)Parameters.Count); o.Write(b[..2]);
        foreach (var (id, v) in Parameters.OrderBy(p => p.Key))
        {
            BinaryPrimitives.WriteUInt32LittleEndian(b, (uint)id); o.Write(b[..4]);
            BinaryPrimitives.WriteDoubleLittleEndian(b, v); o.Write(b);
        }
        o.WriteByte(Stem == null ? (byte)0 : (byte)1);
        if (Stem != null)
        {
            foreach (double d in (ReadOnlySpan<double>)[Stem.StartPpq, Stem.LengthQuarters, Stem.SampleRate])
            { BinaryPrimitives.WriteDoubleLittleEndian(b, d); o.Write(b); }
            BinaryPrimitives.WriteInt32LittleEndian(b, Stem.WavPaths.Count); o.Write(b[..4]);
            foreach (var path in Stem.WavPaths)
            {
                byte[] utf8 = Encoding.UTF8.GetBytes(path);
                BinaryPrimitives.WriteInt32LittleEndian(b, utf8.Length); o.Write(b[..4]);
                o.Write(utf8);
            }
        }
        foreach (var text in (ReadOnlySpan<string>)[Prompt, InstanceId ?? ""])
        {
            byte[] utf8 = Encoding.UTF8.GetBytes(text);
            BinaryPrimitives.WriteInt32LittleEndian(b, utf8.Length); o.Write(b[..4]);
            o.Write(utf8);
        }
        return o.ToArray();
    }

    /// <summary>Reads a saved state; throws <see cref="InvalidDataException"/> naming what is wrong.</summary>
    public static PluginState Deserialize(ReadOnlySpan<byte> data)
    {
        var r = new Reader(data);
        if (!r.Take(4).SequenceEqual(Magic)) throw new InvalidDataException("not a Stage state (magic is not STGS)");
        ushort version = r.UInt16();
        if (version == 0 || version > CurrentVersion)
            throw new InvalidDataException($"Stage state version {version} is newer than this plugin understands ({CurrentVersion})");
        int count = r.UInt16();
        var parameters = new Dictionary<ParameterId, double>();
        for (int i = 0; i < count; i++)
        {
            uint id = r.UInt32();
            double v = r.Double();
            if (StageParameters.IsKnown(id) && !StageParameters.All[id].IsReadOnly && double.IsFinite(v))
                parameters[(ParameterId)id] = Math.Clamp(v, 0, 1);
        }
        StemReference? stem = null;
        if (r.Byte() != 0)
        {
            double start = r.Double(), quarters = r.Double(), rate = r.Double();
            int files = r.Int32();
            if (files < 1 || files > StageParameters.MaxVariations) throw new InvalidDataException($"Stage state lists {files} stem files");
            var paths = new string[files];
            for (int i = 0; i < files; i++)
            {
                int length = r.Int32();
                if (length < 0 || length > 4096) throw new InvalidDataException($"Stage state has a stem path of {length} bytes");
                paths[i] = Encoding.UTF8.GetString(r.Take(length));
            }
            if (!(quarters > 0) || !(rate > 0)) throw new InvalidDataException("Stage state has a stem without length or sample rate");
            stem = new StemReference(paths, start, quarters, rate);
        }
        if (version < 2) return new PluginState(parameters, stem);
        string prompt = r.Text("prompt"), instance = r.Text("instance id");
        return new PluginState(parameters, stem, prompt, instance.Length == 0 ? null : instance);
    }

    ref struct Reader(ReadOnlySpan<byte> data)
    {
        ReadOnlySpan<byte> rest = data;

        public ReadOnlySpan<byte> Take(int n)
        {
            if (rest.Length < n) throw new InvalidDataException("Stage state is truncated");
            var s = rest[..n];
            rest = rest[n..];
            return s;
        }

        public byte Byte() => Take(1)[0];
        public ushort UInt16() => BinaryPrimitives.ReadUInt16LittleEndian(Take(2));
        public uint UInt32() => BinaryPrimitives.ReadUInt32LittleEndian(Take(4));
        public int Int32() => BinaryPrimitives.ReadInt32LittleEndian(Take(4));
        public double Double() => BinaryPrimitives.ReadDoubleLittleEndian(Take(8));

        public string Text(string what)
        {
            int length = Int32();
            if (length < 0 || length > MaxTextBytes) throw new InvalidDataException($"Stage state has a {what} of {length} bytes");
            return Encoding.UTF8.GetString(Take(length));
        }
    }
}
