// libnice and sofia-sip both export `stun_message_length` (different functions). libnice's own
// calls bind to whichever library comes first in the process's lookup order, and when that is
// sofia-sip every ICE connectivity check fails (calls connect, no audio flows). The core's link
// line puts libnice first; this fails if a build change ever moves it behind sofia-sip.
#include <gtest/gtest.h>

#include <dlfcn.h>

#include <string>

TEST(LinkOrder, LibniceProvidesStunMessageLength) {
    void *symbol = dlsym(RTLD_DEFAULT, "stun_message_length");
    ASSERT_NE(symbol, nullptr);
    Dl_info info{};
    ASSERT_NE(dladdr(symbol, &info), 0);
    EXPECT_NE(std::string(info.dli_fname).find("libnice"), std::string::npos) << "resolved in " << info.dli_fname;
}
