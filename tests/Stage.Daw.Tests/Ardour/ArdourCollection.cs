namespace Stage.Daw.Tests.Ardour;

// Ardour sessions run in real time on the Dummy backend; running them one after another keeps
// each one's timing (and the 2-core CI machine) sane.
[CollectionDefinition(Name)]
public sealed class ArdourCollection
{
    public const string Name = "Ardour";
}
