// The core's one exception type: a result code of the C ABI plus a bilingual message.
//
// Synchronous validation throws it; the C shim turns it into a negative code and the
// thread-local last error, so no exception ever crosses the C boundary.
#pragma once

#include "base/i18n.hpp"
#include "base/names.hpp"

#include <exception>
#include <string>
#include <string_view>
#include <vector>

namespace sipw {

// ResultCode (base/names.hpp) is generated from the catalogue, as are the SIPW_* codes of the C
// header; the core does not include the C header.
class Error : public std::exception {
public:
    Error(ResultCode code, std::string_view key, std::vector<std::string> args = {})
        : code_(code), key_(key), message_(i18n::format(key, args)) {}
    ResultCode code() const noexcept { return code_; }
    const std::string &key() const noexcept { return key_; }
    const i18n::Message &message() const noexcept { return message_; }
    const char *what() const noexcept override { return message_.en.c_str(); }

private:
    ResultCode code_;
    std::string key_;
    i18n::Message message_;
};

}  // namespace sipw
