using System.Runtime.InteropServices;

namespace DaprIoT.LocalRuntime.Bindings.Mqtt.Native;

/// <summary>
/// The few libc calls the MQTT network loop needs: <c>poll</c>, which unlike the <c>select</c> inside
/// <c>mosquitto_loop</c> works for descriptors above 1023, and an <c>eventfd</c> to wake the loop when another
/// thread queued a packet.
/// </summary>
internal static unsafe partial class LibC
{
    private const string Library = "libc";

    public const short PollIn = 0x001;
    public const short PollOut = 0x004;
    public const short PollErr = 0x008;
    public const short PollHup = 0x010;
    public const short PollNval = 0x020;

    private const int EfdCloexec = 0x80000;
    private const int EfdNonblock = 0x800;

    [StructLayout(LayoutKind.Sequential)]
    public struct PollFd
    {
        public int Fd;
        public short Events;
        public short Revents;
    }

    [LibraryImport(Library, EntryPoint = "poll", SetLastError = true)]
    public static partial int Poll(PollFd* fds, nuint count, int timeoutMilliseconds);

    [LibraryImport(Library, EntryPoint = "eventfd", SetLastError = true)]
    private static partial int EventFd(uint initial, int flags);

    [LibraryImport(Library, EntryPoint = "read", SetLastError = true)]
    private static partial nint Read(int fd, void* buffer, nuint count);

    [LibraryImport(Library, EntryPoint = "write", SetLastError = true)]
    private static partial nint Write(int fd, void* buffer, nuint count);

    [LibraryImport(Library, EntryPoint = "close")]
    public static partial int Close(int fd);

    public static int CreateWakeUp()
    {
        var fd = EventFd(0, EfdNonblock | EfdCloexec);
        return fd >= 0 ? fd : throw new MosquittoException($"eventfd failed: {Marshal.GetLastPInvokeErrorMessage()}");
    }

    /// <summary>Makes the next <c>poll</c> on <paramref name="fd"/> return; never blocks.</summary>
    public static void WakeUp(int fd)
    {
        ulong one = 1;
        Write(fd, &one, sizeof(ulong));
    }

    /// <summary>Resets the eventfd after a wake-up.</summary>
    public static void Drain(int fd)
    {
        ulong count;
        Read(fd, &count, sizeof(ulong));
    }
}
