// The worker's dispatch knows every command of the catalogue (base/names.hpp, generated from
// catalogue/names.toml): each supported one gets past the name check (to a payload or state
// error), each unsupported one is refused as such, and every spelling (UNHOLD for ONHOLD) works.
#include "base/error.hpp"
#include "base/i18n.hpp"
#include "base/names.hpp"
#include "sipw.h"

#include <gtest/gtest.h>

#include <memory>
#include <string>

namespace sipw {
namespace {

// Through the C ABI, as users post: this binary also holds the C ABI's tests, and a worker of the
// statically linked core beside the shared library's would start a second copy of the media layer
// (its GStreamer element types cannot be registered twice in one process).
using WorkerHandle = std::unique_ptr<sipw_worker, decltype(&sipw_destroy)>;

ResultCode postResult(const WorkerHandle &w, std::string_view command) {
    return static_cast<ResultCode>(sipw_post(w.get(), std::string(command).c_str(), "{}"));
}

TEST(Names, EveryCatalogueCommandIsDispatched) {
    WorkerHandle w(sipw_create(nullptr), &sipw_destroy);
    ASSERT_NE(w, nullptr) << sipw_last_error();
    for (int i = 0; i < names::kCommandCount; ++i) {
        auto command = static_cast<names::Command>(i);
        std::string_view value = names::commandValue(command);
        ASSERT_EQ(names::commandNamed(value), command) << value;
        ResultCode code = postResult(w, value);
        if (names::commandSupported(command))
            EXPECT_NE(code, ResultCode::UnknownCommand) << value << " is in the catalogue but not dispatched";
        else
            EXPECT_EQ(code, ResultCode::UnknownCommand) << value;
    }
    EXPECT_EQ(names::commandNamed("UNHOLD"), names::Command::Unhold);
    EXPECT_EQ(postResult(w, "UNHOLD"), ResultCode::WrongState);  // a known command, before INIT
    EXPECT_EQ(postResult(w, "unhold"), ResultCode::UnknownCommand);   // names are case-sensitive
}

TEST(Names, EveryEventNameHasItsTexts) {
    for (std::string_view name : {names::event::kRegistered, names::event::kSessionConfirmed,
                                  names::event::kNewDTMF, names::event::kPlayEnded, names::event::kRequestTimeout}) {
        const i18n::Text *text = i18n::eventMessage(name);
        ASSERT_NE(text, nullptr) << name;
        EXPECT_FALSE(text->en.empty());
        EXPECT_FALSE(text->zh.empty());
    }
}

}  // namespace
}  // namespace sipw
