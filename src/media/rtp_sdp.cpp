#include "media/rtp_sdp.hpp"

#include "media/audio_codecs.hpp"

#include <sys/random.h>

namespace sipw::sdp {
namespace {
constexpr gsize kSrtpKeyBytes = 30;  // 16-byte master key and 14-byte salt of the AES_CM_128 suites

std::string addressType(const std::string &address) {
    return address.find(':') != std::string::npos ? "IP6" : "IP4";
}
}  // namespace

std::string toSdp(const LocalRtpDescription &d) {
    std::string ip = addressType(d.address) + " " + d.address;
    std::string out = "v=0\r\n";
    out += "o=sipworker " + std::to_string(d.sessionId) + " " + std::to_string(d.version) + " IN " + ip + "\r\n";
    out += "s=-\r\nc=IN " + ip + "\r\nt=0 0\r\n";
    if (d.webrtc && !d.webrtc->mid.empty()) out += "a=group:BUNDLE " + d.webrtc->mid + "\r\n";
    out += "m=audio " + std::to_string(d.port) +
           (d.webrtc ? " UDP/TLS/RTP/SAVPF" : d.secure ? " RTP/SAVP" : " RTP/AVP");
    for (const LocalFormat &f : d.formats) out += " " + std::to_string(f.payloadType);
    out += "\r\n";
    for (const LocalFormat &f : d.formats) {
        out += "a=rtpmap:" + std::to_string(f.payloadType) + " " + f.rtpmap + "\r\n";
        if (!f.fmtp.empty()) out += "a=fmtp:" + std::to_string(f.payloadType) + " " + f.fmtp + "\r\n";
    }
    if (d.port == 0) return out;  // a refused stream carries nothing else
    out += "a=ptime:" + std::to_string(d.ptimeMs) + "\r\n";
    if (const auto &w = d.webrtc) {
        if (!w->mid.empty()) out += "a=mid:" + w->mid + "\r\n";
        out += "a=ice-ufrag:" + w->iceUfrag + "\r\na=ice-pwd:" + w->icePassword + "\r\n";
        out += "a=fingerprint:sha-256 " + w->fingerprint + "\r\na=setup:" + w->setup + "\r\n";
        for (const std::string &candidate : w->candidates) out += "a=" + candidate + "\r\n";
        out += "a=end-of-candidates\r\n";
    }
    if (d.rtcpPort) out += "a=rtcp:" + std::to_string(d.rtcpPort) + "\r\n";
    if (d.rtcpMux) out += "a=rtcp-mux\r\n";
    for (const Crypto &c : d.cryptos)
        out += "a=crypto:" + std::to_string(c.tag) + " " + c.suite + " inline:" + c.keyBase64 + "\r\n";
    out += "a=" + d.direction + "\r\n";
    return out;
}

LocalFormat formatOf(AudioCodec codec, int payloadType) {
    const CodecSpec &spec = codecSpec(codec);
    LocalFormat f;
    f.payloadType = payloadType;
    f.rtpmap = std::string(spec.sdpName) + "/" + std::to_string(spec.clockRate);
    if (spec.sdpChannels > 1) f.rtpmap += "/" + std::to_string(spec.sdpChannels);
    if (codec == AudioCodec::Opus) f.fmtp = "minptime=10;useinbandfec=1";
    return f;
}

LocalFormat telephoneEventFormat(int payloadType, int clockRate) {
    return {payloadType, "telephone-event/" + std::to_string(clockRate), "0-16"};
}

const std::vector<std::string> &srtpSuites() {
    static const std::vector<std::string> suites = {"AES_CM_128_HMAC_SHA1_80", "AES_CM_128_HMAC_SHA1_32"};
    return suites;
}

const char *srtpAuthOf(const std::string &suite) {
    return suite == "AES_CM_128_HMAC_SHA1_32" ? "hmac-sha1-32" : "hmac-sha1-80";
}

std::string newSrtpKey() {
    guint8 key[kSrtpKeyBytes];
    // The kernel's cryptographic generator (GLib's g_random is predictable); it only fails
    // before the pool is initialized at boot, and then blocks rather than fails.
    gsize filled = 0;
    while (filled < kSrtpKeyBytes) {
        ssize_t n = getrandom(key + filled, kSrtpKeyBytes - filled, 0);
        if (n > 0) filled += gsize(n);
    }
    gchar *text = g_base64_encode(key, kSrtpKeyBytes);
    std::string out = text;
    g_free(text);
    return out;
}

GstBuffer *srtpKeyBuffer(const std::string &base64) {
    gsize length = 0;
    guchar *bytes = g_base64_decode(base64.c_str(), &length);
    if (!bytes || length != kSrtpKeyBytes) {
        g_free(bytes);
        return nullptr;
    }
    return gst_buffer_new_wrapped(bytes, length);  // takes the bytes
}

}  // namespace sipw::sdp
