namespace Stage.Shared.Tests;

static class RepositoryRoot
{
    /// <summary>The checkout this test runs from (the folder holding Stage.Plugin.sln).</summary>
    public static string Path { get; } = Find();

    static string Find()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(System.IO.Path.Combine(dir.FullName, "Stage.Plugin.sln"))) return dir.FullName;
        throw new InvalidOperationException($"no Stage.Plugin.sln above {AppContext.BaseDirectory}");
    }
}
