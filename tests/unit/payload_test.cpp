// One set of reading rules for every command's payload (base/payload.hpp).
#include "base/error.hpp"
#include "base/payload.hpp"

#include <glib.h>
#include <gtest/gtest.h>

namespace sipw {
namespace {

using nlohmann::json;

// The error key and English text of what `read` throws.
std::pair<std::string, std::string> refusal(const std::function<void()> &read) {
    try {
        read();
    } catch (const Error &e) {
        EXPECT_EQ(e.code(), ResultCode::InvalidArgument);
        return {e.key(), e.message().en};
    }
    ADD_FAILURE() << "nothing was refused";
    return {};
}

TEST(Payload, IntegersHaveNoFractionAndStayInRange) {
    json data = {{"a", 5}, {"b", 5.0}, {"c", 5.5}, {"d", "5"}, {"e", 50}};
    Payload p(data);
    EXPECT_EQ(p.integer("a", 0, 10), 5);
    EXPECT_EQ(p.integer("b", 0, 10), 5);  // 5.0 is 5, whatever the sender's number type
    EXPECT_EQ(p.integer("missing", 0, 10), std::nullopt);
    EXPECT_EQ(refusal([&] { p.integer("c", 0, 10); }).first, "wrong_type");
    EXPECT_EQ(refusal([&] { p.integer("d", 0, 10); }).first, "wrong_type");
    auto outOfRange = refusal([&] { p.integer("e", 0, 10, " (ms)"); });
    EXPECT_EQ(outOfRange.first, "invalid_value");
    EXPECT_NE(outOfRange.second.find("an integer from 0 to 10 (ms)"), std::string::npos) << outOfRange.second;
}

TEST(Payload, NestedFieldsAreNamedWithTheirPath) {
    json data = {{"options", {{"audio", {{"input", 3}}}}}};
    Payload p(data);
    auto audio = p.object("options")->object("audio");
    auto wrong = refusal([&] { audio->string("input"); });
    EXPECT_EQ(wrong.first, "wrong_type");
    EXPECT_NE(wrong.second.find("\"options.audio.input\""), std::string::npos) << wrong.second;
    EXPECT_EQ(refusal([&] { p.object("options")->requiredString("target"); }).second,
              "Missing required field \"options.target\"");
}

TEST(Payload, NullIsAbsentAndNonObjectsAreRefused) {
    json data = {{"flag", nullptr}};
    EXPECT_EQ(Payload(data).boolean("flag"), std::nullopt);
    EXPECT_EQ(refusal([] { Payload::ofCommand(json::array(), "CALL"); }).first, "payload_not_object");
}

TEST(Payload, PrintableNeverCutsACharacter) {
    std::string chinese;
    for (int i = 0; i < 100; ++i) chinese += "话";  // 3 bytes each
    std::string shown = printable(chinese);
    EXPECT_EQ(g_utf8_strlen(shown.c_str(), -1), 80);
    EXPECT_TRUE(g_utf8_validate(shown.c_str(), -1, nullptr));
    EXPECT_EQ(printable("a\x01" "b\xff"), "a?b\xef\xbf\xbd");  // control → '?', a bad byte → U+FFFD
}

TEST(Payload, ChosenIdsMayHave128Characters) {
    EXPECT_TRUE(isPrintableId(std::string(100, 'x')));
    EXPECT_TRUE(isPrintableId(std::string(128, 'x')));
    std::string chinese;
    for (int i = 0; i < 128; ++i) chinese += "号";
    EXPECT_TRUE(isPrintableId(chinese));  // characters, not bytes
    EXPECT_FALSE(isPrintableId(std::string(129, 'x')));
    EXPECT_FALSE(isPrintableId(""));
    EXPECT_FALSE(isPrintableId("a\nb"));
    EXPECT_FALSE(isPrintableId("\xff"));
}

}  // namespace
}  // namespace sipw
