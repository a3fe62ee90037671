// The SIP INFO bodies of DTMF: what we send and what we accept from other user agents.
#include "sip/dtmf_info.hpp"

#include <gtest/gtest.h>

using namespace sipw;

TEST(DtmfInfo, RelayBodyIsSignalAndDuration) {
    EXPECT_EQ(dtmfRelayBody('5', 160), "Signal=5\r\nDuration=160\r\n");
    EXPECT_EQ(dtmfRelayBody('#', 250), "Signal=#\r\nDuration=250\r\n");
}

TEST(DtmfInfo, ParsesDtmfRelayAsPhonesWriteIt) {
    auto d = parseInfoDtmf("application/dtmf-relay", "Signal=5\r\nDuration=160\r\n");
    ASSERT_TRUE(d);
    EXPECT_EQ(d->tone, '5');
    EXPECT_EQ(d->durationMs, 160);
    d = parseInfoDtmf("Application/DTMF-Relay; charset=utf-8", "signal= *\nduration = 250\n");
    ASSERT_TRUE(d);
    EXPECT_EQ(d->tone, '*');
    EXPECT_EQ(d->durationMs, 250);
    d = parseInfoDtmf("application/dtmf-relay", "Signal=d\r\n");  // no Duration: JsSIP's 100 ms
    ASSERT_TRUE(d);
    EXPECT_EQ(d->tone, 'D');
    EXPECT_EQ(d->durationMs, 100);
    d = parseInfoDtmf("application/dtmf-relay", "Signal=11\r\nDuration=80\r\n");  // event code of #
    ASSERT_TRUE(d);
    EXPECT_EQ(d->tone, '#');
}

TEST(DtmfInfo, ParsesApplicationDtmf) {
    auto d = parseInfoDtmf("application/dtmf", "7\r\n");
    ASSERT_TRUE(d);
    EXPECT_EQ(d->tone, '7');
    EXPECT_EQ(d->durationMs, 100);
}

TEST(DtmfInfo, RefusesWhatIsNotATone) {
    EXPECT_FALSE(parseInfoDtmf("application/dtmf-relay", "Duration=160\r\n"));
    EXPECT_FALSE(parseInfoDtmf("application/dtmf-relay", "Signal=E\r\n"));
    EXPECT_FALSE(parseInfoDtmf("application/dtmf-relay", "Signal=16\r\n"));
    EXPECT_FALSE(parseInfoDtmf("application/dtmf-relay", ""));
    EXPECT_FALSE(parseInfoDtmf("application/dtmf", "12"));
    EXPECT_FALSE(parseInfoDtmf("application/media_control+xml", "<media_control/>"));
    EXPECT_FALSE(parseInfoDtmf("", "Signal=1"));
    // A nonsense duration keeps the default rather than inventing one.
    auto d = parseInfoDtmf("application/dtmf-relay", "Signal=1\r\nDuration=-5\r\n");
    ASSERT_TRUE(d);
    EXPECT_EQ(d->durationMs, 100);
}
