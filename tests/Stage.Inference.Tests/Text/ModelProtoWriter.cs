using System.Text;

namespace Stage.Inference.Tests.Text;

/// <summary>Writes small SentencePiece ModelProto files for tests (protobuf wire format by hand).</summary>
sealed class ModelProtoWriter
{
    readonly List<(string Piece, float Score, int Type)> _pieces = [];
    public int ModelType { get; set; } = 1;
    public int UnkId { get; set; } = 2;
    public int EosId { get; set; } = 1;
    public int PadId { get; set; } = 0;
    public int BosId { get; set; } = -1;
    public bool ByteFallback { get; set; }
    public byte[] CharsMap { get; set; } = [];
    public bool AddDummyPrefix { get; set; } = true;
    public bool RemoveExtraWhitespaces { get; set; } = true;

    public const int Normal = 1, Unknown = 2, Control = 3, UserDefined = 4, Unused = 5, Byte = 6;

    /// <summary>pad, eos, unk at ids 0, 1, 2 (T5's layout).</summary>
    public static ModelProtoWriter WithT5Specials()
    {
        var w = new ModelProtoWriter();
        w.Add("<pad>", 0, Control).Add("</s>", 0, Control).Add("<unk>", 0, Unknown);
        return w;
    }

    public ModelProtoWriter Add(string piece, float score, int type = Normal)
    {
        _pieces.Add((piece, score, type));
        return this;
    }

    public int Count => _pieces.Count;

    public byte[] ToBytes()
    {
        var model = new MemoryStream();
        foreach (var (piece, score, type) in _pieces)
        {
            var p = new MemoryStream();
            WriteBytes(p, 1, Encoding.UTF8.GetBytes(piece));
            WriteTag(p, 2, 5);
            p.Write(BitConverter.GetBytes(score));
            WriteVarintField(p, 3, (ulong)type);
            WriteBytes(model, 1, p.ToArray());
        }
        var trainer = new MemoryStream();
        WriteVarintField(trainer, 3, (ulong)ModelType);
        WriteVarintField(trainer, 35, ByteFallback ? 1UL : 0UL);
        WriteVarintField(trainer, 40, unchecked((ulong)(long)UnkId));
        WriteVarintField(trainer, 41, unchecked((ulong)(long)BosId));
        WriteVarintField(trainer, 42, unchecked((ulong)(long)EosId));
        WriteVarintField(trainer, 43, unchecked((ulong)(long)PadId));
        WriteBytes(model, 2, trainer.ToArray());
        var normalizer = new MemoryStream();
        WriteBytes(normalizer, 1, "identity"u8.ToArray());
        if (CharsMap.Length > 0) WriteBytes(normalizer, 2, CharsMap);
        WriteVarintField(normalizer, 3, AddDummyPrefix ? 1UL : 0UL);
        WriteVarintField(normalizer, 4, RemoveExtraWhitespaces ? 1UL : 0UL);
        WriteVarintField(normalizer, 5, 1);
        WriteBytes(model, 3, normalizer.ToArray());
        return model.ToArray();
    }

    public string WriteTo(string directory)
    {
        string path = Path.Combine(directory, "spiece.model");
        File.WriteAllBytes(path, ToBytes());
        return path;
    }

    static void WriteTag(Stream s, int field, int wire) => WriteVarint(s, (ulong)((field << 3) | wire));

    static void WriteVarintField(Stream s, int field, ulong value)
    {
        WriteTag(s, field, 0);
        WriteVarint(s, value);
    }

    static void WriteBytes(Stream s, int field, byte[] bytes)
    {
        WriteTag(s, field, 2);
        WriteVarint(s, (ulong)bytes.Length);
        s.Write(bytes);
    }

    static void WriteVarint(Stream s, ulong v)
    {
        while (v >= 0x80)
        {
            s.WriteByte((byte)(v | 0x80));
            v >>= 7;
        }
        s.WriteByte((byte)v);
    }
}
