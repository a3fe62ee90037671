// A test server written in Python (tests/servers/*.py) run as a child process: it prints
// "listening PORT" once it accepts connections on 127.0.0.1, and is killed with the object.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

namespace sipw::test {

class ScriptServer {
public:
    // `script` is relative to tests/servers/; `args` follow it on the command line. The
    // constructor returns once the server has printed its port (a test failure if it did not).
    ScriptServer(const std::string &script, const std::vector<std::string> &args);
    ~ScriptServer();
    ScriptServer(const ScriptServer &) = delete;
    ScriptServer &operator=(const ScriptServer &) = delete;

    int port() const { return port_; }

private:
    pid_t pid_ = -1;
    int port_ = 0;
};

}  // namespace sipw::test
