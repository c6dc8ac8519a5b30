namespace MeshPorts.WireGuard.Messages;

/// <summary>Field offsets and sizes of the four messages (whitepaper section 5.4.2 - 5.4.7).</summary>
internal static class MessageLayout
{
    // Handshake initiation, 148 bytes.
    public const int InitiationSender = 4;
    public const int InitiationEphemeral = 8;
    public const int InitiationStatic = 40;      // 32 + 16 tag
    public const int InitiationTimestamp = 88;   // 12 + 16 tag
    public const int InitiationMac1 = 116;
    public const int InitiationMac2 = 132;
    public const int InitiationSize = 148;

    // Handshake response, 92 bytes.
    public const int ResponseSender = 4;
    public const int ResponseReceiver = 8;
    public const int ResponseEphemeral = 12;
    public const int ResponseEmpty = 44;         // 0 + 16 tag
    public const int ResponseMac1 = 60;
    public const int ResponseMac2 = 76;
    public const int ResponseSize = 92;

    // Cookie reply, 64 bytes.
    public const int CookieReceiver = 4;
    public const int CookieNonce = 8;
    public const int CookieEncrypted = 32;       // 16 + 16 tag
    public const int CookieReplySize = 64;

    // Transport data: 16-byte header, then ciphertext (at least the 16-byte tag).
    public const int TransportReceiver = 4;
    public const int TransportCounter = 8;
    public const int TransportHeaderSize = 16;
    public const int TransportMinimumSize = TransportHeaderSize + 16;

    public const int MacSize = 16;
    public const int CookieSize = 16;
}
