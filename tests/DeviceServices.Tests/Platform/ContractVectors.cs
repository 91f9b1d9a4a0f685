using System.Text.Json;
using DaprIoT.TestSupport;

namespace DaprIoT.DeviceServices.Tests.Platform;

/// <summary>The device protocol's test vectors (<c>tests/contracts/vectors</c>), as the firmware and the codec tests read them.</summary>
public static class ContractVectors
{
    /// <summary>An invalid device → platform message: where it is published, and the error it must be rejected with.</summary>
    public sealed record InvalidMessage(string Name, string Topic, string Payload, string Error)
    {
        /// <summary>The device service that receives it (the topic's type is its app id).</summary>
        public string Service => Topic.Split('/')[1];

        public string Kind => Topic.Split('/')[3];
    }

    /// <summary>Every invalid vector a device could publish (commands go the other way and are left out).</summary>
    public static IEnumerable<InvalidMessage> InvalidDeviceMessages()
    {
        var folder = Path.Combine(RepositoryPaths.Root, "tests", "contracts", "vectors");
        foreach (var file in Directory.GetFiles(folder, "*.json").Order())
        {
            if (Path.GetFileName(file) == "topics.json" || file.EndsWith("-cmd.json", StringComparison.Ordinal)) continue;
            using var document = JsonDocument.Parse(File.ReadAllBytes(file));
            foreach (var vector in document.RootElement.GetProperty("vectors").EnumerateArray())
            {
                if (vector.GetProperty("valid").GetBoolean()) continue;
                yield return new InvalidMessage(vector.GetProperty("name").GetString()!, vector.GetProperty("topic").GetString()!,
                    vector.GetProperty("payload").GetString()!, vector.GetProperty("error").GetString()!);
            }
        }
    }
}
