using System.Runtime.InteropServices;

namespace DaprIoT.LocalRuntime.Bindings.Mqtt.Native;

/// <summary><c>struct mosquitto_message</c>: valid only during the message callback; libmosquitto frees it afterwards.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct MosquittoMessage
{
    public int Mid;
    public nint Topic;
    public nint Payload;
    public int PayloadLength;
    public int Qos;
    public byte Retain;
}
