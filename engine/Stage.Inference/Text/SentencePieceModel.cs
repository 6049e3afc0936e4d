namespace Stage.Inference.Text;

/// <summary>SentencePiece's <c>ModelProto.SentencePiece.Type</c>.</summary>
public enum PieceType
{
    Normal = 1,
    Unknown = 2,
    Control = 3,
    UserDefined = 4,
    Unused = 5,
    Byte = 6,
}

/// <summary>SentencePiece's <c>TrainerSpec.ModelType</c>.</summary>
public enum SegmentationModel
{
    Unigram = 1,
    Bpe = 2,
    Word = 3,
    Char = 4,
}

/// <summary>One vocabulary entry; its id is its index in <see cref="SentencePieceModel.Pieces"/>.</summary>
public readonly record struct Piece(string Text, float Score, PieceType Type);

/// <summary>The fields of <c>TrainerSpec</c> that change how text is encoded (proto2 defaults when absent).</summary>
public sealed record TrainerSpec(
    SegmentationModel ModelType,
    int UnkId,
    int BosId,
    int EosId,
    int PadId,
    bool ByteFallback,
    bool TreatWhitespaceAsSuffix);

/// <summary><c>NormalizerSpec</c>: the compiled normalisation rule and the whitespace options.</summary>
public sealed record NormalizerSpec(
    string Name,
    byte[] PrecompiledCharsMap,
    bool AddDummyPrefix,
    bool RemoveExtraWhitespaces,
    bool EscapeWhitespaces);

/// <summary>
/// The contents of a <c>spiece.model</c> file (SentencePiece <c>ModelProto</c>), read straight from the
/// protobuf wire format. Field numbers are those of sentencepiece_model.proto.
/// </summary>
public sealed class SentencePieceModel
{
    public required Piece[] Pieces { get; init; }
    public required TrainerSpec Trainer { get; init; }
    public required NormalizerSpec Normalizer { get; init; }

    public static SentencePieceModel Parse(ReadOnlySpan<byte> modelProto)
    {
        var pieces = new List<Piece>();
        TrainerSpec? trainer = null;
        NormalizerSpec? normalizer = null;
        var reader = new ProtobufReader(modelProto);
        while (reader.TryReadTag(out int field, out var wire))
        {
            switch (field)
            {
                case 1:
                    reader.Expect(field, wire, ProtobufReader.WireType.LengthDelimited);
                    int at = reader.Offset;
                    var piece = ReadPiece(reader.ReadMessage());
                    if (piece.Text.Length == 0) throw new InvalidDataException($"piece {pieces.Count} (byte {at}) is empty");
                    pieces.Add(piece);
                    break;
                case 2:
                    reader.Expect(field, wire, ProtobufReader.WireType.LengthDelimited);
                    trainer = ReadTrainerSpec(reader.ReadMessage());
                    break;
                case 3:
                    reader.Expect(field, wire, ProtobufReader.WireType.LengthDelimited);
                    normalizer = ReadNormalizerSpec(reader.ReadMessage());
                    break;
                default:
                    reader.Skip(wire);
                    break;
            }
        }
        if (pieces.Count == 0) throw new InvalidDataException("the model has no pieces (not a SentencePiece ModelProto?)");
        return new SentencePieceModel
        {
            Pieces = pieces.ToArray(),
            // An absent message means all its fields take their proto2 defaults.
            Trainer = trainer ?? ReadTrainerSpec(default),
            Normalizer = normalizer ?? ReadNormalizerSpec(default),
        };
    }

    static Piece ReadPiece(ProtobufReader reader)
    {
        string text = "";
        float score = 0;
        var type = PieceType.Normal;
        while (reader.TryReadTag(out int field, out var wire))
        {
            switch (field)
            {
                case 1:
                    reader.Expect(field, wire, ProtobufReader.WireType.LengthDelimited);
                    text = reader.ReadString();
                    break;
                case 2:
                    reader.Expect(field, wire, ProtobufReader.WireType.Fixed32);
                    score = reader.ReadFloat();
                    break;
                case 3:
                    reader.Expect(field, wire, ProtobufReader.WireType.Varint);
                    int at = reader.Offset;
                    ulong raw = reader.ReadVarint();
                    if (raw < 1 || raw > 6) throw new InvalidDataException($"piece type {raw} at byte {at} is not a SentencePiece piece type");
                    type = (PieceType)raw;
                    break;
                default:
                    reader.Skip(wire);
                    break;
            }
        }
        return new Piece(text, score, type);
    }

    static TrainerSpec ReadTrainerSpec(ProtobufReader reader)
    {
        var modelType = SegmentationModel.Unigram;
        int unk = 0, bos = 1, eos = 2, pad = -1;
        bool byteFallback = false, suffix = false;
        while (reader.TryReadTag(out int field, out var wire))
        {
            switch (field)
            {
                case 3:
                    reader.Expect(field, wire, ProtobufReader.WireType.Varint);
                    int at = reader.Offset;
                    ulong raw = reader.ReadVarint();
                    if (raw < 1 || raw > 4) throw new InvalidDataException($"model type {raw} at byte {at} is not a SentencePiece model type");
                    modelType = (SegmentationModel)raw;
                    break;
                case 24: reader.Expect(field, wire, ProtobufReader.WireType.Varint); suffix = reader.ReadBool(); break;
                case 35: reader.Expect(field, wire, ProtobufReader.WireType.Varint); byteFallback = reader.ReadBool(); break;
                case 40: reader.Expect(field, wire, ProtobufReader.WireType.Varint); unk = reader.ReadInt32(); break;
                case 41: reader.Expect(field, wire, ProtobufReader.WireType.Varint); bos = reader.ReadInt32(); break;
                case 42: reader.Expect(field, wire, ProtobufReader.WireType.Varint); eos = reader.ReadInt32(); break;
                case 43: reader.Expect(field, wire, ProtobufReader.WireType.Varint); pad = reader.ReadInt32(); break;
                default: reader.Skip(wire); break;
            }
        }
        return new TrainerSpec(modelType, unk, bos, eos, pad, byteFallback, suffix);
    }

    static NormalizerSpec ReadNormalizerSpec(ProtobufReader reader)
    {
        string name = "";
        byte[] charsMap = [];
        bool dummyPrefix = true, removeExtra = true, escape = true;
        while (reader.TryReadTag(out int field, out var wire))
        {
            switch (field)
            {
                case 1: reader.Expect(field, wire, ProtobufReader.WireType.LengthDelimited); name = reader.ReadString(); break;
                case 2: reader.Expect(field, wire, ProtobufReader.WireType.LengthDelimited); charsMap = reader.ReadBytes().ToArray(); break;
                case 3: reader.Expect(field, wire, ProtobufReader.WireType.Varint); dummyPrefix = reader.ReadBool(); break;
                case 4: reader.Expect(field, wire, ProtobufReader.WireType.Varint); removeExtra = reader.ReadBool(); break;
                case 5: reader.Expect(field, wire, ProtobufReader.WireType.Varint); escape = reader.ReadBool(); break;
                default: reader.Skip(wire); break;
            }
        }
        return new NormalizerSpec(name, charsMap, dummyPrefix, removeExtra, escape);
    }
}
