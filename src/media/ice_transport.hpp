// An ICE transport over libnice whose agent runs on the shared ICE thread (private to the media
// layer).
//
// The lean alternative to webrtcbin's transport: one stream of one component (RTP and RTCP muxed,
// as WebRTC requires), full ICE (not lite, not trickle), host candidates of every interface plus
// optional STUN and TURN servers. No thread of its own: every agent of the process runs on the ICE
// thread (ice_loop.hpp), and so do the hooks.
#pragma once

#include <glib.h>

#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace sipw {

struct IceServerAddress {
    std::string host;  // a name or an address; a name is resolved as gathering starts
    int port = 3478;
    bool turn = false;  // else STUN
    std::string user, password;  // TURN only
    bool tcp = false;  // TURN over TCP, for networks that drop UDP
    bool tls = false;  // TURN over TLS (turns:)
};

class IceTransport {
public:
    struct Hooks {  // all called on the ICE thread, never after close() returned
        std::function<void()> onGathered;  // local().candidates is complete
        std::function<void()> onConnected;  // a pair is selected: send() works from now on
        std::function<void(const std::string &why)> onFailed;  // English, at most once
        std::function<void(const guint8 *data, gsize size)> onPacket;  // a datagram from the peer
    };

    IceTransport(bool controlling, Hooks hooks);
    ~IceTransport();  // closes
    IceTransport(const IceTransport &) = delete;
    IceTransport &operator=(const IceTransport &) = delete;

    // Before gather(). libnice takes one STUN server: the first one given is used.
    void setServers(const std::vector<IceServerAddress> &servers);

    // Before gather(): only these local IP addresses (empty: every interface's), and with
    // `relayOnly` only TURN relays are used (candidates and checks).
    void limitTo(const std::vector<std::string> &localAddresses, bool relayOnly);

    // Starts gathering; onGathered follows, or onFailed (a server name that does not resolve
    // among others). Server names are resolved first, asynchronously on the ICE thread.
    bool gather(std::string &error);

    // What our descriptions carry, read in one visit to the ICE thread; valid once gather()
    // returned true. Candidates: "candidate:..." SDP attribute values (no "a="), complete once
    // onGathered ran.
    struct LocalParameters {
        std::string ufrag, password;
        std::vector<std::string> candidates;
    };
    LocalParameters local() const;

    // Starts the ICE thread and makes (and drops) one agent there, so that the first call finds
    // libnice's types and the thread ready (the warm-up).
    static void prepare();

    // Before setRemote(): the offerer is usually controlling, but an ICE-lite peer changes that.
    void setControlling(bool controlling);

    // The peer's credentials and candidates ("candidate:..." with or without "a="), starting the
    // connectivity checks. Candidates libnice cannot use (an RTCP component, mDNS names, TCP) are
    // skipped; none usable at all is an error.
    bool setRemote(const std::string &ufrag, const std::string &password,
                   const std::vector<std::string> &candidates, std::string &error);

    // One datagram to the peer, from any thread; false before onConnected or after close().
    bool send(const guint8 *data, gsize size);

    // From any thread, hooks included. After it returns no hook runs and send() returns false;
    // the agent and its sockets are gone too, unless close() was called from onPacket, in which
    // case they go as soon as that hook returned.
    void close();

    struct State;  // shared with the agent's signal handlers; defined in ice_transport.cpp

private:
    std::shared_ptr<State> state_;
};

}  // namespace sipw
