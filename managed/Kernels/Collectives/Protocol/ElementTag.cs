namespace Kernels.Collectives.Protocol;

/// <summary>
/// A stable 32-bit tag for an element type (FNV-1a of its full name), the same in every process, so ranks calling
/// with different types of the same size are told apart.
/// </summary>
internal static class ElementTag<T> where T : unmanaged
{
    internal static readonly int Value = Compute(typeof(T).FullName ?? typeof(T).Name);

    private static int Compute(string name)
    {
        uint hash = 2166136261;
        foreach (char c in name)
        {
            hash = (hash ^ c) * 16777619;
        }
        return (int)hash;
    }
}
