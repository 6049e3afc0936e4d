namespace Stage.Shared.Protocol;

/// <summary>The stem Stage generates; each has its own fine-tuned model.</summary>
public enum Instrument { Drums, Bass }

/// <summary>The instrument's name on the wire and as its model folder ("drums", "bass").</summary>
public static class InstrumentName
{
    public static string Of(Instrument instrument) => instrument switch
    {
        Instrument.Drums => "drums",
        Instrument.Bass => "bass",
        _ => throw new ArgumentOutOfRangeException(nameof(instrument), instrument, null),
    };

    public static Instrument? Parse(string name) => name switch
    {
        "drums" => Instrument.Drums,
        "bass" => Instrument.Bass,
        _ => null,
    };
}
