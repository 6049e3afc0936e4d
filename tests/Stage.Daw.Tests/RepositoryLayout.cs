namespace Stage.Daw.Tests;

// Where the tests find the sources they build and run (helper plugins, Lua, installer, fixtures).
public static class RepositoryLayout
{
    public static string Root => RepositoryRoot.Path;

    public static string DawTests => Path.Combine(Root, "tests", "Stage.Daw.Tests");
    public static string HelperPluginSources => Path.Combine(DawTests, "HelperPlugins");
    public static string SessionScript => Path.Combine(DawTests, "Lua", "session.lua");
    public static string Installer => Path.Combine(Root, "installer");
    public static string TinyModel => RepositoryRoot.TinyFixture;

    // Build products of the tests themselves live beside the test assembly (bin/, never committed).
    public static string BuildOutput => Path.Combine(AppContext.BaseDirectory, "daw-build");
}
