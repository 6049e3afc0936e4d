namespace Stage.Engine.Models;

/// <summary>A download that could not be done, with the reason in words a producer can act on.</summary>
public sealed class ModelDownloadException(string message, Exception? inner = null) : Exception(message, inner);
