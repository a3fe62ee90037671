// What a process holds, read from /proc: for the soak test and the benches.
#pragma once

#include <fstream>
#include <string>

namespace sipw_test {

// Resident memory of `pid` ("self" for this process) in KiB (VmRSS), or -1.
inline long residentKiB(const std::string &pid = "self") {
    std::ifstream status("/proc/" + pid + "/status");
    std::string line;
    while (std::getline(status, line))
        if (line.rfind("VmRSS:", 0) == 0) return std::stol(line.substr(6));
    return -1;
}

}  // namespace sipw_test
