#include "media/remote_sdp.hpp"

#include "media/audio_codecs.hpp"

#include <gst/sdp/sdp.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <strings.h>

namespace sipw::sdp {
namespace {

bool isDirection(const char *value) {
    return value && (g_str_equal(value, "sendrecv") || g_str_equal(value, "sendonly") ||
                     g_str_equal(value, "recvonly") || g_str_equal(value, "inactive"));
}

// The RFC 3551 static payload types of our codecs, for an m= line without rtpmaps.
Format staticFormat(int payloadType) {
    Format f;
    f.payloadType = payloadType;
    for (AudioCodec codec : {AudioCodec::Pcmu, AudioCodec::Pcma, AudioCodec::G722}) {
        const CodecSpec &spec = codecSpec(codec);
        if (spec.payloadType != payloadType) continue;
        f.name = spec.sdpName;
        f.clockRate = spec.clockRate;
    }
    return f;
}

// "1 AES_CM_128_HMAC_SHA1_80 inline:KEY|2^20|1:4;inline:... [session params]"
bool parseCrypto(const char *value, Crypto &out) {
    char suite[64] = {0}, params[512] = {0};
    if (!value || sscanf(value, "%d %63s %511s", &out.tag, suite, params) != 3) return false;
    out.suite = suite;
    std::string key = params;
    key = key.substr(0, key.find(';'));  // the first of several keys
    if (key.rfind("inline:", 0) != 0) return false;
    key = key.substr(7);
    auto bar = key.find('|');
    if (bar != std::string::npos) {
        // |lifetime|MKI:length: an MKI is the field with a colon.
        out.usesMki = key.find(':', bar) != std::string::npos;
        key = key.substr(0, bar);
    }
    out.keyBase64 = key;
    return !key.empty();
}

const char *profileText(MediaProfile profile) {
    switch (profile) {
    case MediaProfile::WebRtc: return "UDP/TLS/RTP/SAVPF (webrtc)";
    case MediaProfile::Rtp: return "RTP/AVP (rtp)";
    case MediaProfile::Srtp: return "RTP/SAVP (srtp)";
    }
    return "";
}

}  // namespace

RemoteMedia inspect(const std::string &text) {
    RemoteMedia r;
    GstSDPMessage *msg = nullptr;
    // GStreamer logs a CRITICAL for an empty text (an INVITE without SDP); that is just unusable.
    if (text.empty()) return r;
    if (gst_sdp_message_new_from_text(text.c_str(), &msg) != GST_SDP_OK || !msg) return r;
    const GstSDPMedia *audio = nullptr;
    for (guint i = 0; i < gst_sdp_message_medias_len(msg) && !audio; ++i) {
        const GstSDPMedia *m = gst_sdp_message_get_media(msg, i);
        if (g_strcmp0(gst_sdp_media_get_media(m), "audio") == 0) audio = m;
    }
    if (!audio || !gst_sdp_message_get_version(msg)) {
        gst_sdp_message_free(msg);
        return r;
    }
    r.parsed = true;
    r.proto = gst_sdp_media_get_proto(audio) ? gst_sdp_media_get_proto(audio) : "";
    r.port = int(gst_sdp_media_get_port(audio));
    const GstSDPConnection *connection = gst_sdp_media_connections_len(audio) > 0
                                             ? gst_sdp_media_get_connection(audio, 0)
                                             : gst_sdp_message_get_connection(msg);
    if (connection && connection->address) r.address = connection->address;

    auto attr = [&](const char *key) -> const char * {
        const char *v = gst_sdp_media_get_attribute_val(audio, key);
        return v ? v : gst_sdp_message_get_attribute_val(msg, key);
    };
    if (const char *fingerprint = attr("fingerprint")) {
        r.fingerprint = true;
        // "sha-256 AB:CD:..." (the hash every WebRTC peer sends)
        if (g_ascii_strncasecmp(fingerprint, "sha-256 ", 8) == 0) {
            gchar *value = g_strstrip(g_strdup(fingerprint + 8));
            r.sha256Fingerprint = value;
            g_free(value);
        }
    }
    r.iceCredentials = attr("ice-ufrag") && attr("ice-pwd");
    if (r.iceCredentials) {
        r.iceUfrag = attr("ice-ufrag");
        r.icePassword = attr("ice-pwd");
    }
    if (const char *mid = gst_sdp_media_get_attribute_val(audio, "mid")) r.mid = mid;
    if (const char *setup = attr("setup")) r.setup = setup;
    r.rtcpMux = gst_sdp_media_get_attribute_val(audio, "rtcp-mux") != nullptr;
    if (const char *rtcp = gst_sdp_media_get_attribute_val(audio, "rtcp")) {
        // "<port> [IN IP4 <address>]"
        char address[128] = {0};
        r.rtcpPort = std::atoi(rtcp);
        if (sscanf(rtcp, "%*d IN IP%*d %127s", address) == 1) r.rtcpAddress = address;
    }
    if (const char *ptime = attr("ptime")) r.ptimeMs = std::atoi(ptime);
    // A direction at session level applies to every media section without its own (RFC 4566).
    for (guint i = 0; i < gst_sdp_message_attributes_len(msg); ++i) {
        const GstSDPAttribute *a = gst_sdp_message_get_attribute(msg, i);
        if (isDirection(a->key)) r.direction = a->key;
    }
    for (guint i = 0; i < gst_sdp_media_formats_len(audio); ++i)
        r.formats.push_back(staticFormat(std::atoi(gst_sdp_media_get_format(audio, i))));
    for (guint i = 0; i < gst_sdp_media_attributes_len(audio); ++i) {
        const GstSDPAttribute *a = gst_sdp_media_get_attribute(audio, i);
        if (isDirection(a->key)) r.direction = a->key;
        if (g_strcmp0(a->key, "candidate") == 0 && a->value) r.candidates.push_back(std::string("candidate:") + a->value);
        if (g_strcmp0(a->key, "crypto") == 0) {
            Crypto crypto;
            if (parseCrypto(a->value, crypto)) r.cryptos.push_back(crypto);
        }
        if (g_strcmp0(a->key, "rtpmap") != 0 || !a->value) continue;
        // "<pt> opus/48000/2", "<pt> telephone-event/8000"
        int pt = -1, channels = 1;
        char name[32] = {0};
        unsigned rate = 0;
        if (sscanf(a->value, "%d %31[^/]/%u/%d", &pt, name, &rate, &channels) < 3) continue;
        for (Format &f : r.formats) {
            if (f.payloadType != pt) continue;
            f.name = name;
            f.clockRate = int(rate);
            f.channels = channels;
        }
    }
    gst_sdp_message_free(msg);
    return r;
}

std::optional<MediaProfile> profileOf(const RemoteMedia &remote) {
    const std::string &p = remote.proto;
    if (p == "UDP/TLS/RTP/SAVPF" || p == "UDP/TLS/RTP/SAVP") return MediaProfile::WebRtc;
    if (p == "RTP/AVP" || p == "RTP/AVPF") return MediaProfile::Rtp;
    if (p == "RTP/SAVP" || p == "RTP/SAVPF") return MediaProfile::Srtp;
    return std::nullopt;
}

std::optional<AudioCodec> codecOf(const Format &format) {
    for (AudioCodec codec : {AudioCodec::Opus, AudioCodec::G722, AudioCodec::Pcmu, AudioCodec::Pcma}) {
        const CodecSpec &spec = codecSpec(codec);
        if (strcasecmp(format.name.c_str(), spec.sdpName) == 0 && format.clockRate == spec.clockRate) return codec;
    }
    return std::nullopt;
}

int telephoneEventPayload(const RemoteMedia &remote, int clockRate) {
    for (const Format &f : remote.formats)
        if (strcasecmp(f.name.c_str(), "telephone-event") == 0 && f.clockRate == clockRate) return f.payloadType;
    return -1;
}

std::optional<CodecChoice> chooseCodec(const RemoteMedia &remote, const std::vector<AudioCodec> &allowed) {
    for (const Format &f : remote.formats) {
        auto codec = codecOf(f);
        if (!codec || std::find(allowed.begin(), allowed.end(), *codec) == allowed.end()) continue;
        return CodecChoice{*codec, f.payloadType, telephoneEventPayload(remote, codecSpec(*codec).clockRate)};
    }
    return std::nullopt;
}

const Crypto *usableCrypto(const RemoteMedia &remote) {
    for (const Crypto &c : remote.cryptos) {
        bool known = c.suite == "AES_CM_128_HMAC_SHA1_80" || c.suite == "AES_CM_128_HMAC_SHA1_32";
        if (known && !c.usesMki) return &c;
    }
    return nullptr;
}

std::string formatNames(const RemoteMedia &remote) {
    std::string out;
    for (const Format &f : remote.formats) {
        if (!out.empty()) out += ", ";
        out += f.name.empty() ? "payload type " + std::to_string(f.payloadType) : f.name;
    }
    return out.empty() ? "none" : out;
}

std::string unusableReason(const RemoteMedia &remote, MediaProfile profile, const std::vector<AudioCodec> &codecs) {
    if (!remote.parsed) return "not a parsable SDP with an audio section";
    auto asked = profileOf(remote);
    if (!asked) return "unknown media transport \"" + remote.proto + "\" (we speak UDP/TLS/RTP/SAVPF, RTP/AVP, RTP/SAVP)";
    if (*asked != profile)
        return std::string("the audio is ") + profileText(*asked) + ", not " + profileText(profile) +
               (profile == MediaProfile::WebRtc ? ": a plain SIP peer needs media.profile \"rtp\" (or \"srtp\")" : "");
    if (remote.port == 0) return "the audio stream is refused (port 0)";
    if (profile == MediaProfile::WebRtc) {
        if (!remote.fingerprint) return "no DTLS fingerprint";
        if (!remote.iceCredentials) return "no ICE credentials (ice-ufrag/ice-pwd)";
    }
    if (profile == MediaProfile::Srtp && !usableCrypto(remote)) {
        if (remote.cryptos.empty()) return "RTP/SAVP without a=crypto (SDES keys)";
        std::string suites;
        for (const Crypto &c : remote.cryptos) suites += (suites.empty() ? "" : ", ") + c.suite + (c.usesMki ? " with MKI" : "");
        return "no a=crypto suite we support (offered " + suites +
               "; we support AES_CM_128_HMAC_SHA1_80 and AES_CM_128_HMAC_SHA1_32 without MKI)";
    }
    if (!chooseCodec(remote, codecs)) {
        std::string ours;
        for (AudioCodec c : codecs) ours += (ours.empty() ? "" : ", ") + std::string(codecName(c));
        return "no common codec (offered " + formatNames(remote) + "; allowed " + ours + ")";
    }
    return {};
}

}  // namespace sipw::sdp
