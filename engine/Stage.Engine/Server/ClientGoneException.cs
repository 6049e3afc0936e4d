namespace Stage.Engine.Server;

/// <summary>
/// A write to the client's pipe failed: the client went away. Told apart from an IOException a job
/// raises itself (a file it could not read or write), which is the job's failure and is reported.
/// </summary>
sealed class ClientGoneException(Exception inner) : IOException($"the client went away: {inner.Message}", inner);
