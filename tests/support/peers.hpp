// Independent SIP peers for the media profiles' tests, as child processes on loopback:
// baresip (a softphone: plain RTP, G.711) and a media gateway made of rtpengine and a Kamailio of
// its own (tests/servers/kamailio-rtpengine.cfg) bridging WebRTC and plain RTP legs.
#pragma once

#include "call_helpers.hpp"

#include <deque>
#include <memory>
#include <string>

namespace sipw_test {

// baresip 1.0 registered at the loopback Kamailio as `user` (password pass<user>): auto-answers,
// sends a tone from a WAV file (8 kHz, for G.711), records what it hears and what it sends
// (sndfile), is driven through ctrl_tcp. Its files and log go to a directory of its own.
class Baresip {
public:
    // `codecs`: baresip's audio_codecs ("PCMU", "PCMA", "PCMU,PCMA"). Ports: SIP on sipPort (and
    // sipPort + 1 for TLS), RTP from rtpPorts (a "first-last" range), control on ctrlPort.
    Baresip(const std::string &user, int sipPort, const std::string &rtpPorts, int ctrlPort, double toneHz,
            const std::string &codecs);
    ~Baresip();

    // Runs a ctrl_tcp command ("dial", "hangup", ...); true if baresip answered ok.
    bool command(const std::string &name, const std::string &params = {});
    // The recording of what it heard in its latest call (a WAV at 8 kHz); empty if none.
    std::string lastHeard() const;
    std::string log() const;
    const std::string &user() const { return user_; }

private:
    bool readMessages(int timeoutMs);

    std::string user_;
    std::string dir_;
    int ctrlPort_;
    int socket_ = -1;
    std::string buffer_;
    std::deque<Json> messages_;  // read, not yet taken: responses and events
    std::unique_ptr<ChildProcess> process_;
};

// rtpengine 10 (userspace) and a Kamailio of its own on 127.0.0.1:kSipPort that registers users
// without authentication and rewrites each INVITE's SDP through rtpengine: a WebRTC caller's offer
// becomes plain RTP/AVP for a plain callee, and the answer WebRTC again (the setup of real WebRTC
// gateways). Started in that order (Kamailio gives up on an rtpengine that does not answer its
// first ping); both stopped when destroyed.
class RtpengineBridge {
public:
    static constexpr int kSipPort = 5300;
    RtpengineBridge();
    ~RtpengineBridge();
    bool ready() const { return ready_; }
    std::string logs() const;

private:
    std::string dir_;
    std::unique_ptr<ChildProcess> rtpengine_;
    std::unique_ptr<ChildProcess> kamailio_;
    bool ready_ = false;
};

}  // namespace sipw_test
