namespace Kernels.Compression;

/// <summary>
/// The public SaveState/RestoreState contract shared by every stateful compression object: the caller's stream stays open,
/// and a restore either installs everything or, when the data is truncated, throws and changes nothing.
/// </summary>
internal static class StateStream
{
    /// <exception cref="ArgumentNullException"><paramref name="state"/> is null.</exception>
    internal static void Save(Stream state, Action<BinaryWriter> write)
    {
        ArgumentNullException.ThrowIfNull(state);
        using var writer = new BinaryWriter(state, System.Text.Encoding.UTF8, leaveOpen: true);
        write(writer);
    }

    /// <summary>
    /// Runs <paramref name="read"/>, which validates the data without changing anything and returns the action that installs it;
    /// the install runs only after the whole state has been read, so a truncated stream leaves the object untouched.
    /// </summary>
    /// <exception cref="ArgumentNullException"><paramref name="state"/> is null.</exception>
    /// <exception cref="ArgumentException">(names <c>state</c>) The data is truncated, or <paramref name="read"/> rejected it.</exception>
    internal static void Restore(Stream state, Func<BinaryReader, Action> read)
    {
        ArgumentNullException.ThrowIfNull(state);
        using var reader = new BinaryReader(state, System.Text.Encoding.UTF8, leaveOpen: true);
        Action install;
        try
        {
            install = read(reader);
        }
        catch (EndOfStreamException e)
        {
            throw new ArgumentException("The saved compression state cannot be restored: it is truncated. Nothing was changed.", StateFormat.ParameterName, e);
        }
        install();
    }
}
