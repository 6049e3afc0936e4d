namespace Stage.Plugin.Vst3;

/// <summary>VST3 <c>tresult</c> codes. Linux and macOS use small integers; Windows uses COM HRESULTs.</summary>
static class Result
{
    public static readonly int NoInterface = OperatingSystem.IsWindows() ? unchecked((int)0x80004002) : -1;
    public const int Ok = 0;
    public const int False = 1;
    public static readonly int InvalidArgument = OperatingSystem.IsWindows() ? unchecked((int)0x80070057) : 2;
    public static readonly int NotImplemented = OperatingSystem.IsWindows() ? unchecked((int)0x80004001) : 3;
    public static readonly int InternalError = OperatingSystem.IsWindows() ? unchecked((int)0x80004005) : 4;
    public static readonly int NotInitialized = OperatingSystem.IsWindows() ? unchecked((int)0x8000FFFF) : 5;
}
