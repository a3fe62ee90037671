// The options of a call's media: what is sent and what is done with what is received, ICE, and
// the receive latency. Plain data shared by the configuration (INIT, per-call options) and the media
// profiles; it includes neither sofia-sip nor GStreamer.
#pragma once

#include <string>
#include <vector>

namespace sipw {

// "device" | "file:PATH" | "tone:HZ" | "silence" (input);  "device" | "file:PATH.wav" | "null" (output)
struct AudioEndpoint {
    enum class Kind { Device, File, Tone, Silence, Null };
    Kind kind = Kind::Silence;
    std::string path;   // Kind::File
    double hz = 0;      // Kind::Tone
    // Parses the SPEC forms; false (and why, as an i18n error key + arg) on a bad value.
    static bool parseInput(const std::string &text, AudioEndpoint &out);
    static bool parseOutput(const std::string &text, AudioEndpoint &out);
};

struct IceServer {
    std::string url;         // stun:host:port, turn:host:port?transport=udp|tcp, turns:...
    std::string username;    // TURN only
    std::string credential;  // TURN only
};

struct IceOptions {
    // "first-server" (default): host candidates plus the first srflx/relay candidate of each
    //                            configured server, or gathering complete;
    // "complete": wait for gathering to complete;  "host": host candidates only, send at once.
    std::string strategy = "first-server";
    int gatheringTimeoutMs = 500;        // never wait longer than this after gathering began
    bool relayOnly = false;              // transportPolicy "relay"
    std::vector<IceServer> servers;      // from INIT sipIce
    std::vector<std::string> addresses;  // restrict ICE to these local IPs or interface names (empty: all)
};

struct MediaOptions {
    AudioEndpoint input;                 // what we send
    AudioEndpoint output;                // what we do with what we receive
    IceOptions ice;
    int jitterBufferMs = 40;             // receive latency
    int opusComplexity = 5;              // 0..10: encoder CPU against quality
    int connectTimeoutMs = 10000;        // offer/answer applied → ICE+DTLS up, or IceFailed
};

}  // namespace sipw
