using Google.Protobuf;
using NSec.Cryptography;

namespace MeshPorts.Contracts.Relay;

/// <summary>
/// Signs and checks relay tickets (relay.proto): the coordinator signs with its relay key, every relay
/// (embedded or standalone) checks with the public half. The signature covers the serialized bytes
/// exactly as carried, so nothing is re-serialized before checking.
/// </summary>
public static class RelayTickets
{
    public static SignedTicket Sign(Key relayKey, RelayTicket ticket)
    {
        ArgumentNullException.ThrowIfNull(relayKey);
        ArgumentNullException.ThrowIfNull(ticket);
        var bytes = ticket.ToByteArray();
        var signature = SignatureAlgorithm.Ed25519.Sign(relayKey, RelaySignatures.TicketBytes(bytes));
        return new SignedTicket { Ticket = ByteString.CopyFrom(bytes), Signature = ByteString.CopyFrom(signature) };
    }

    /// <summary>
    /// True when the signature holds and the ticket parses, names a node and a 32-byte machine key, and
    /// <paramref name="nowUnixMs"/> is before its end. Expired, forged and malformed tickets are all false.
    /// </summary>
    public static bool TryVerify(PublicKey relayPublicKey, SignedTicket? signed, long nowUnixMs, out RelayTicket ticket)
    {
        ArgumentNullException.ThrowIfNull(relayPublicKey);
        ticket = null!;
        if (signed is null || signed.Signature.Length != 64 || signed.Ticket.IsEmpty
            || !SignatureAlgorithm.Ed25519.Verify(relayPublicKey, RelaySignatures.TicketBytes(signed.Ticket.Span), signed.Signature.Span))
        {
            return false;
        }

        RelayTicket parsed;
        try
        {
            parsed = RelayTicket.Parser.ParseFrom(signed.Ticket);
        }
        catch (InvalidProtocolBufferException)
        {
            return false;
        }

        if (string.IsNullOrEmpty(parsed.NodeId) || parsed.MachinePublicKey.Length != 32 || parsed.NotAfterUnixMs <= nowUnixMs)
        {
            return false;
        }

        ticket = parsed;
        return true;
    }

    /// <summary>Reads a base64 32-byte Ed25519 public key (what the coordinator prints as "relay ticket key").</summary>
    public static bool TryParsePublicKey(string? text, out PublicKey key)
    {
        key = null!;
        var raw = new byte[32];
        if (text is null || !Convert.TryFromBase64String(text.Trim(), raw, out var written) || written != 32)
        {
            return false;
        }

        return PublicKey.TryImport(SignatureAlgorithm.Ed25519, raw, KeyBlobFormat.RawPublicKey, out key!);
    }
}
