// Which local addresses an `ice.addresses` entry names (private to the media layer; both WebRTC
// transports restrict ICE with it).
#pragma once

#include <string>
#include <vector>

namespace sipw {

// An IP literal as is, an interface name resolved to its IPv4/IPv6 addresses; empty if unknown.
std::vector<std::string> resolveLocalAddresses(const std::string &entry);

}  // namespace sipw
