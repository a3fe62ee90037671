// The rtp and srtp profiles: two media sessions in one process talking plain RTP or SDES-SRTP
// over loopback (rtpbin over their own UDP sockets), and a third socket playing a hostile peer.
#include "media_fixture.hpp"

using namespace sipw;
using namespace sipw_media_test;

namespace {

TEST_F(MediaTest, RtpPcmuTwoWay) {
    const std::string wavA = "/tmp/sipw_rtp_a.wav", wavB = "/tmp/sipw_rtp_b.wav";
    auto a = makePeer(options("tone:1000", "file:" + wavA, MediaProfile::Rtp, {AudioCodec::Pcmu}));
    auto b = makePeer(options("tone:440", "file:" + wavB, MediaProfile::Rtp));
    negotiate(*a, *b);
    printf("%s\n%s\n", a->localSdp.c_str(), b->localSdp.c_str());
    runFor(3000);
    a->media->close();
    double callA = msSince(a->created) / 1000;
    b->media->close();
    double callB = msSince(b->created) / 1000;
    expectRecording(wavA, callA, 440);
    expectRecording(wavB, callB, 1000);
}

}  // namespace
