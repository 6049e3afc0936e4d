using System.Text;

namespace Stage.Shared.Protocol;

/// <summary>
/// Walks the keys of one message map and reads their values, turning every MessagePack error into one
/// that names the message and the field ("field 'tempoBpm' of 'generate': expected a number ...").
/// </summary>
ref struct MessageFields
{
    PayloadReader _reader;
    readonly string _type;
    int _remaining;
    ReadOnlySpan<byte> _key;

    public MessageFields(PayloadReader reader, string type, int count)
    {
        _reader = reader;
        _type = type;
        _remaining = count;
    }

    /// <summary>Moves to the next key; false when the map is done.</summary>
    public bool Next()
    {
        if (_remaining == 0) return false;
        _remaining--;
        try
        {
            _key = _reader.ReadStringUtf8();
        }
        catch (MessagePackException e)
        {
            throw new MessagePackException($"a key of '{_type}': {Problem(e)}", e.Offset);
        }
        return true;
    }

    public readonly bool Is(ReadOnlySpan<byte> name) => _key.SequenceEqual(name);

    public void Skip()
    {
        try { _reader.Skip(); }
        catch (MessagePackException e) { throw Wrap(e); }
    }

    public long ReadInt64()
    {
        try { return _reader.ReadInt64(); }
        catch (MessagePackException e) { throw Wrap(e); }
    }

    public int ReadInt32()
    {
        try { return _reader.ReadInt32(); }
        catch (MessagePackException e) { throw Wrap(e); }
    }

    public double ReadDouble()
    {
        try { return _reader.ReadDouble(); }
        catch (MessagePackException e) { throw Wrap(e); }
    }

    public double? ReadNullableDouble()
    {
        try { return _reader.TryReadNil() ? null : _reader.ReadDouble(); }
        catch (MessagePackException e) { throw Wrap(e); }
    }

    public long? ReadNullableInt64()
    {
        try { return _reader.TryReadNil() ? null : _reader.ReadInt64(); }
        catch (MessagePackException e) { throw Wrap(e); }
    }

    public bool ReadBoolean()
    {
        try { return _reader.ReadBoolean(); }
        catch (MessagePackException e) { throw Wrap(e); }
    }

    public string ReadString()
    {
        try { return _reader.ReadString(); }
        catch (MessagePackException e) { throw Wrap(e); }
    }

    /// <summary>An instrument by its wire name ("drums", "bass"); any other name is an error naming <paramref name="field"/>.</summary>
    public Instrument ReadInstrument(string field)
    {
        var name = ReadString();
        return InstrumentName.Parse(name) ?? throw Invalid(field, $"'{name}' is not \"drums\" or \"bass\"");
    }

    /// <summary>A context mode by its wire name ("mixture", "click", "both"); any other name is an error naming <paramref name="field"/>.</summary>
    public ContextMode ReadContextMode(string field)
    {
        var name = ReadString();
        return ContextModeName.Parse(name) ?? throw Invalid(field, $"'{name}' is not \"mixture\", \"click\" or \"both\"");
    }

    public string? ReadNullableString()
    {
        try { return _reader.ReadNullableString(); }
        catch (MessagePackException e) { throw Wrap(e); }
    }

    public string[] ReadStringArray()
    {
        try
        {
            int count = _reader.ReadArrayHeader();
            var items = new string[count];
            for (int i = 0; i < count; i++) items[i] = _reader.ReadString();
            return items;
        }
        catch (MessagePackException e) { throw Wrap(e); }
    }

    /// <summary>A [numerator, denominator] pair.</summary>
    public (int, int) ReadIntPair()
    {
        int offset = _reader.Position;
        try
        {
            int count = _reader.ReadArrayHeader();
            if (count != 2) throw new MessagePackException($"expected an array of 2 integers but found {count} elements", offset);
            return (_reader.ReadInt32(), _reader.ReadInt32());
        }
        catch (MessagePackException e) { throw Wrap(e); }
    }

    /// <summary>A nested map {sampleRate, channels, samples} (see <see cref="PcmAudio"/>).</summary>
    public PcmAudio ReadPcm()
    {
        int offset = _reader.Position;
        try
        {
            int count = _reader.ReadMapHeader();
            int? sampleRate = null, channels = null;
            ReadOnlyMemory<float>? samples = null;
            for (int i = 0; i < count; i++)
            {
                var key = _reader.ReadStringUtf8();
                if (key.SequenceEqual("sampleRate"u8)) sampleRate = _reader.ReadInt32();
                else if (key.SequenceEqual("channels"u8)) channels = _reader.ReadInt32();
                else if (key.SequenceEqual("samples"u8)) samples = _reader.ReadFloat32Samples();
                else _reader.Skip();
            }
            string? missing = sampleRate is null ? "sampleRate" : channels is null ? "channels" : samples is null ? "samples" : null;
            if (missing is not null) throw new MessagePackException($"the audio map lacks '{missing}'", offset);
            return new PcmAudio(samples!.Value, sampleRate!.Value, channels!.Value);
        }
        catch (MessagePackException e) { throw Wrap(e); }
    }

    /// <summary>Throws the error for a required field that never came.</summary>
    public readonly T Required<T>(T? value, string field) where T : struct =>
        value ?? throw Missing(field);

    public readonly T Required<T>(T? value, string field) where T : class =>
        value ?? throw Missing(field);

    public readonly ProtocolException Invalid(string field, string problem) =>
        new(FailureCode.Malformed, $"field '{field}' of '{_type}': {problem}");

    readonly ProtocolException Missing(string field) =>
        new(FailureCode.Malformed, $"'{_type}' message lacks the required field '{field}'");

    readonly MessagePackException Wrap(MessagePackException e) =>
        new($"field '{Encoding.UTF8.GetString(_key)}' of '{_type}': {Problem(e)}", e.Offset);

    static string Problem(MessagePackException e) => e.Problem;
}
