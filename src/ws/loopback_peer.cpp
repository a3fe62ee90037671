#include "ws/loopback_peer.hpp"

#include <dirent.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <string>

namespace sipw {

namespace {

// The inode of the IPv4 TCP socket bound to local port `localPort` and connected to remote port
// `remotePort` (both on loopback), or 0.
unsigned long socketInode(int localPort, int remotePort) {
    FILE *table = std::fopen("/proc/self/net/tcp", "r");
    if (!table) return 0;
    char line[512];
    unsigned long found = 0;
    std::fgets(line, sizeof line, table);  // the column titles
    while (!found && std::fgets(line, sizeof line, table)) {
        unsigned localAddress = 0, local = 0, remoteAddress = 0, remote = 0;
        unsigned long inode = 0;
        // "sl: local:port remote:port st tx:rx tr:when retrnsmt uid timeout inode"
        if (std::sscanf(line, " %*d: %8X:%4X %8X:%4X %*X %*X:%*X %*X:%*X %*X %*u %*u %lu", &localAddress, &local,
                        &remoteAddress, &remote, &inode) == 5 &&
            static_cast<int>(local) == localPort && static_cast<int>(remote) == remotePort)
            found = inode;
    }
    std::fclose(table);
    return found;
}

bool processHoldsSocket(unsigned long inode) {
    DIR *fds = opendir("/proc/self/fd");
    if (!fds) return false;
    std::string wanted = "socket:[" + std::to_string(inode) + "]";
    bool held = false;
    while (dirent *entry = readdir(fds)) {
        if (entry->d_name[0] == '.') continue;
        std::string path = std::string("/proc/self/fd/") + entry->d_name;
        char target[64];
        ssize_t n = readlink(path.c_str(), target, sizeof target - 1);
        if (n > 0 && static_cast<std::size_t>(n) == wanted.size() && std::memcmp(target, wanted.data(), wanted.size()) == 0) {
            held = true;
            break;
        }
    }
    closedir(fds);
    return held;
}

}  // namespace

bool loopbackPeerIsThisProcess(int peerPort, int listenPort) {
    unsigned long inode = socketInode(peerPort, listenPort);
    return inode != 0 && processHoldsSocket(inode);
}

}  // namespace sipw
