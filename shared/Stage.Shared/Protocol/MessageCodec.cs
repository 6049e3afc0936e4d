using System.Buffers;
using MessagePack;

namespace Stage.Shared.Protocol;

/// <summary>Turns <see cref="ProtocolMessage"/>s into frame payloads and back (rules on <see cref="ProtocolMessage"/>).</summary>
public static class MessageCodec
{
    public static void Encode(ProtocolMessage message, IBufferWriter<byte> output)
    {
        var writer = new PayloadWriter(output);
        message.Write(ref writer);
        writer.Flush();
    }

    public static byte[] Encode(ProtocolMessage message)
    {
        var output = new ArrayBufferWriter<byte>();
        Encode(message, output);
        return output.WrittenSpan.ToArray();
    }

    /// <summary>
    /// Decodes one frame payload. Audio in the result is a view into <paramref name="payload"/>, which
    /// must therefore stay unchanged while the message is in use. Throws <see cref="ProtocolException"/>
    /// (code <see cref="FailureCode.Malformed"/> or <see cref="FailureCode.UnknownMessage"/>).
    /// </summary>
    public static ProtocolMessage Decode(ReadOnlyMemory<byte> payload)
    {
        var reader = new PayloadReader(payload);
        if (reader.End) throw new MessagePackException("expected a message map but the payload is empty", 0);
        if (reader.PeekType() != MessagePackType.Map)
            throw new MessagePackException($"expected a message map but found {PayloadReader.Describe(payload.Span[0])}", 0);
        int count = reader.ReadMapHeader();
        string type = FindType(reader, count);
        var fields = new MessageFields(reader, type, count);
        return type switch
        {
            Hello.TypeName => Hello.Read(ref fields),
            Welcome.TypeName => Welcome.Read(ref fields),
            GenerateRequest.TypeName => GenerateRequest.Read(ref fields),
            Progress.TypeName => Progress.Read(ref fields),
            StemChunk.TypeName => StemChunk.Read(ref fields),
            Completed.TypeName => Completed.Read(ref fields),
            Failed.TypeName => Failed.Read(ref fields),
            Cancel.TypeName => Cancel.Read(ref fields),
            Ping.TypeName => Ping.Read(ref fields),
            Pong.TypeName => Pong.Read(ref fields),
            InstanceInfo.TypeName => InstanceInfo.Read(ref fields),
            PromptSettings.TypeName => PromptSettings.Read(ref fields),
            RemotePress.TypeName => RemotePress.Read(ref fields),
            VariationChoice.TypeName => VariationChoice.Read(ref fields),
            StemRestore.TypeName => StemRestore.Read(ref fields),
            OpenControlRoom.TypeName => OpenControlRoom.Read(ref fields),
            _ => throw new ProtocolException(FailureCode.UnknownMessage, $"unknown message type '{type}'"),
        };
    }

    /// <summary>
    /// A first pass over the map: finds "type" wherever it is, and validates the whole payload (depth,
    /// lengths, no trailing bytes) before any field is decoded.
    /// </summary>
    static string FindType(PayloadReader reader, int count)
    {
        string? type = null;
        for (int i = 0; i < count; i++)
        {
            var key = reader.ReadStringUtf8();
            if (key.SequenceEqual("type"u8))
            {
                int offset = reader.Position;
                if (reader.PeekType() != MessagePackType.String)
                    throw new MessagePackException("expected the message's 'type' to be a string", offset);
                type = reader.ReadString();
            }
            else reader.Skip();
        }
        if (!reader.End)
            throw new MessagePackException($"{reader.Remaining} bytes follow the message map", reader.Position);
        return type ?? throw new ProtocolException(FailureCode.Malformed, "the message map lacks the key 'type'");
    }
}
