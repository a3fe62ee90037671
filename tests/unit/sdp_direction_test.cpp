// Media directions in SDP offer/answer (RFC 3264 §6.1), as hold and resume use them.
#include "media/remote_sdp.hpp"
#include "media/sdp_util.hpp"

#include <gtest/gtest.h>

using namespace sipw;

TEST(SdpDirection, AnswerMirrorsTheOffer) {
    EXPECT_EQ(sdp::answerDirection("sendrecv"), "sendrecv");
    EXPECT_EQ(sdp::answerDirection("sendonly"), "recvonly");
    EXPECT_EQ(sdp::answerDirection("recvonly"), "sendonly");
    EXPECT_EQ(sdp::answerDirection("inactive"), "inactive");
}

TEST(SdpDirection, AnswerWhileHoldingIsNarrowed) {
    // We hold (we would offer sendonly) and the peer re-offers: we keep not receiving.
    EXPECT_EQ(sdp::answerDirection("sendrecv", "sendonly"), "sendonly");
    EXPECT_EQ(sdp::answerDirection("sendonly", "sendonly"), "inactive");
    EXPECT_EQ(sdp::answerDirection("recvonly", "sendonly"), "sendonly");
    EXPECT_EQ(sdp::answerDirection("inactive", "sendonly"), "inactive");
}

TEST(SdpDirection, CommonDirection) {
    EXPECT_EQ(sdp::commonDirection("sendonly", "sendrecv"), "sendonly");
    EXPECT_EQ(sdp::commonDirection("sendrecv", "recvonly"), "recvonly");
    EXPECT_EQ(sdp::commonDirection("sendonly", "recvonly"), "inactive");
    EXPECT_EQ(sdp::commonDirection("sendrecv", "sendrecv"), "sendrecv");
}

namespace {
std::string offerWith(const std::string &sessionLevel, const std::string &mediaLevel) {
    std::string sdp = "v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n";
    if (!sessionLevel.empty()) sdp += "a=" + sessionLevel + "\r\n";
    sdp += "m=audio 9 UDP/TLS/RTP/SAVPF 111\r\nc=IN IP4 127.0.0.1\r\na=rtpmap:111 opus/48000/2\r\n";
    if (!mediaLevel.empty()) sdp += "a=" + mediaLevel + "\r\n";
    return sdp;
}
}  // namespace

TEST(SdpDirection, SessionLevelDirectionAppliesWhenTheMediaHasNone) {
    EXPECT_EQ(sdp::inspect(offerWith("", "")).direction, "sendrecv");
    EXPECT_EQ(sdp::inspect(offerWith("sendonly", "")).direction, "sendonly");
    EXPECT_EQ(sdp::inspect(offerWith("", "inactive")).direction, "inactive");
    EXPECT_EQ(sdp::inspect(offerWith("sendonly", "sendrecv")).direction, "sendrecv");
}
