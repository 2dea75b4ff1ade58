namespace Kernels.Collectives.Mpi;

/// <summary>How elements of any unmanaged type travel through MPI: as the widest word that divides them (32-, 16- or
/// 8-bit), so MPI's int counts reach as many bytes as possible.</summary>
internal static unsafe class MpiWords
{
    internal static (kmpi_dtype Type, int WordsPerElement) Of<T>() where T : unmanaged => sizeof(T) switch
    {
        var size when size % 4 == 0 => (kmpi_dtype.KMPI_I32, size / 4),
        var size when size % 2 == 0 => (kmpi_dtype.KMPI_F16, size / 2),
        var size => (kmpi_dtype.KMPI_BYTE, size),
    };
}
