using System.Reflection;

namespace Stage.Engine;

public static class EngineVersion
{
    public static string Text { get; } =
        typeof(EngineVersion).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0] ?? "0.0.0";
}
