namespace Kernels;

/// <summary>
/// The native kernel library (libkernels) could not be loaded. The message lists every path that was
/// tried and what was wrong with it (missing, failed to load with the loader's error text, or a
/// library of another ABI major version).
/// </summary>
/// <remarks>
/// Set the <c>KERNELS_NATIVE_PATH</c> environment variable to a libkernels file, or to the folder
/// holding it, to load the library from somewhere else.
/// </remarks>
public sealed class NativeLibraryException : DllNotFoundException
{
    /// <summary>Creates the exception with a message that lists the probed paths.</summary>
    /// <param name="message">What failed, path by path.</param>
    /// <param name="probedPaths">Every path that was tried, in probing order.</param>
    public NativeLibraryException(string message, IReadOnlyList<string> probedPaths)
        : base(message)
    {
        ProbedPaths = probedPaths;
    }

    /// <summary>Every path that was tried, in probing order.</summary>
    public IReadOnlyList<string> ProbedPaths { get; }
}
