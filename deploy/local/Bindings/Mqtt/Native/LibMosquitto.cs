using System.Runtime.InteropServices;

namespace DaprIoT.LocalRuntime.Bindings.Mqtt.Native;

/// <summary>
/// The part of Debian's libmosquitto (<c>libmosquitto.so.1</c>, 2.0.x) this runtime uses, as declared in
/// <c>/usr/include/mosquitto.h</c>. With <c>mosquitto_threaded_set(true)</c> the functions taking a
/// <c>struct mosquitto *</c> may be called from any thread while one thread runs <c>mosquitto_loop</c>: they queue
/// packets and wake the loop, which does all socket I/O. <c>mosquitto_lib_init</c> is not thread safe.
/// </summary>
internal static unsafe partial class LibMosquitto
{
    private const string Library = "libmosquitto.so.1";

    public const int Success = 0;
    public const int ErrNoConn = 4;
    public const int ErrConnRefused = 5;
    public const int ErrConnLost = 7;
    public const int ErrErrno = 14;

    public const int OptProtocolVersion = 1;
    public const int OptReceiveMaximum = 4;
    public const int OptTcpNoDelay = 11;
    public const int ProtocolV311 = 4;
    public const int ProtocolV5 = 5;
    public const int PropSessionExpiryInterval = 17;

    [LibraryImport(Library, EntryPoint = "mosquitto_lib_init")]
    public static partial int LibInit();

    [LibraryImport(Library, EntryPoint = "mosquitto_lib_version")]
    public static partial int LibVersion(out int major, out int minor, out int revision);

    [LibraryImport(Library, EntryPoint = "mosquitto_new", StringMarshalling = StringMarshalling.Utf8)]
    public static partial nint New(string id, [MarshalAs(UnmanagedType.U1)] bool cleanSession, nint userData);

    [LibraryImport(Library, EntryPoint = "mosquitto_destroy")]
    public static partial void Destroy(nint mosq);

    [LibraryImport(Library, EntryPoint = "mosquitto_int_option")]
    public static partial int IntOption(nint mosq, int option, int value);

    [LibraryImport(Library, EntryPoint = "mosquitto_username_pw_set", StringMarshalling = StringMarshalling.Utf8)]
    public static partial int UsernamePwSet(nint mosq, string? username, string? password);

    [LibraryImport(Library, EntryPoint = "mosquitto_tls_set", StringMarshalling = StringMarshalling.Utf8)]
    public static partial int TlsSet(nint mosq, string? caFile, string? caPath, string? certFile, string? keyFile, nint passwordCallback);

    [LibraryImport(Library, EntryPoint = "mosquitto_connect", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    public static partial int Connect(nint mosq, string host, int port, int keepAliveSeconds);

    [LibraryImport(Library, EntryPoint = "mosquitto_connect_bind_v5", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    public static partial int ConnectV5(nint mosq, string host, int port, int keepAliveSeconds, string? bindAddress, nint properties);

    [LibraryImport(Library, EntryPoint = "mosquitto_property_add_int32")]
    public static partial int PropertyAddInt32(ref nint properties, int identifier, uint value);

    [LibraryImport(Library, EntryPoint = "mosquitto_property_free_all")]
    public static partial void PropertyFreeAll(ref nint properties);

    [LibraryImport(Library, EntryPoint = "mosquitto_reconnect", SetLastError = true)]
    public static partial int Reconnect(nint mosq);

    [LibraryImport(Library, EntryPoint = "mosquitto_loop", SetLastError = true)]
    public static partial int Loop(nint mosq, int timeoutMilliseconds, int maxPackets);

    [LibraryImport(Library, EntryPoint = "mosquitto_threaded_set")]
    public static partial int ThreadedSet(nint mosq, [MarshalAs(UnmanagedType.U1)] bool threaded);

    [LibraryImport(Library, EntryPoint = "mosquitto_disconnect")]
    public static partial int Disconnect(nint mosq);

    [LibraryImport(Library, EntryPoint = "mosquitto_publish", StringMarshalling = StringMarshalling.Utf8)]
    public static partial int Publish(nint mosq, out int mid, string topic, int payloadLength, byte* payload, int qos, [MarshalAs(UnmanagedType.U1)] bool retain);

    [LibraryImport(Library, EntryPoint = "mosquitto_subscribe", StringMarshalling = StringMarshalling.Utf8)]
    public static partial int Subscribe(nint mosq, out int mid, string subscription, int qos);

    [LibraryImport(Library, EntryPoint = "mosquitto_unsubscribe", StringMarshalling = StringMarshalling.Utf8)]
    public static partial int Unsubscribe(nint mosq, out int mid, string subscription);

    [LibraryImport(Library, EntryPoint = "mosquitto_connect_callback_set")]
    public static partial void ConnectCallbackSet(nint mosq, delegate* unmanaged[Cdecl]<nint, nint, int, void> callback);

    [LibraryImport(Library, EntryPoint = "mosquitto_disconnect_callback_set")]
    public static partial void DisconnectCallbackSet(nint mosq, delegate* unmanaged[Cdecl]<nint, nint, int, void> callback);

    [LibraryImport(Library, EntryPoint = "mosquitto_publish_callback_set")]
    public static partial void PublishCallbackSet(nint mosq, delegate* unmanaged[Cdecl]<nint, nint, int, void> callback);

    [LibraryImport(Library, EntryPoint = "mosquitto_message_callback_set")]
    public static partial void MessageCallbackSet(nint mosq, delegate* unmanaged[Cdecl]<nint, nint, MosquittoMessage*, void> callback);

    [LibraryImport(Library, EntryPoint = "mosquitto_subscribe_callback_set")]
    public static partial void SubscribeCallbackSet(nint mosq, delegate* unmanaged[Cdecl]<nint, nint, int, int, int*, void> callback);

    [LibraryImport(Library, EntryPoint = "mosquitto_strerror")]
    public static partial nint StrError(int error);

    [LibraryImport(Library, EntryPoint = "mosquitto_connack_string")]
    public static partial nint ConnackString(int code);

    public static string Describe(int error) =>
        Marshal.PtrToStringUTF8(StrError(error)) ?? $"libmosquitto error {error}";

    public static string DescribeConnack(int code) =>
        Marshal.PtrToStringUTF8(ConnackString(code)) ?? $"CONNACK code {code}";
}
