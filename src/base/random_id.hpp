// Random identifiers: session ids, message ids, the Call-IDs of our own requests.
#pragma once

#include <string>

namespace sipw {

// 32 hex characters: a random (version 4) UUID without its dashes.
std::string randomId();

}  // namespace sipw
