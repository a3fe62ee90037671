#include "script_server.hpp"

#include <gtest/gtest.h>

#include <csignal>
#include <cstdio>
#include <sys/wait.h>
#include <unistd.h>

namespace sipw::test {

ScriptServer::ScriptServer(const std::string &script, const std::vector<std::string> &args) {
    std::string path = std::string(SIPW_SOURCE_DIR) + "/tests/servers/" + script;
    std::vector<std::string> argv = {"python3", path};
    argv.insert(argv.end(), args.begin(), args.end());
    std::vector<char *> cargv;
    for (auto &a : argv) cargv.push_back(a.data());
    cargv.push_back(nullptr);
    int fds[2];
    if (pipe(fds) != 0) {
        ADD_FAILURE() << "pipe failed for " << script;
        return;
    }
    pid_ = fork();
    if (pid_ == 0) {
        dup2(fds[1], STDOUT_FILENO);
        close(fds[0]);
        close(fds[1]);
        execv("/usr/bin/python3", cargv.data());  // Debian's interpreter, whatever PATH says
        _exit(127);
    }
    close(fds[1]);
    FILE *out = fdopen(fds[0], "r");
    char line[64] = {0};
    if (out && fgets(line, sizeof line, out)) sscanf(line, "listening %d", &port_);
    if (out) fclose(out);
    if (port_ == 0) ADD_FAILURE() << script << " did not start";
}

ScriptServer::~ScriptServer() {
    if (pid_ <= 0) return;
    kill(pid_, SIGTERM);
    waitpid(pid_, nullptr, 0);
}

}  // namespace sipw::test
