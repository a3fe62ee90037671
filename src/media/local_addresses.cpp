#include "media/local_addresses.hpp"

#include <gio/gio.h>

#include <ifaddrs.h>
#include <netdb.h>
#include <sys/socket.h>

namespace sipw {

std::vector<std::string> resolveLocalAddresses(const std::string &entry) {
    if (g_hostname_is_ip_address(entry.c_str())) return {entry};
    std::vector<std::string> out;
    struct ifaddrs *list = nullptr;
    if (getifaddrs(&list) != 0) return out;
    for (struct ifaddrs *i = list; i; i = i->ifa_next) {
        if (!i->ifa_addr || entry != i->ifa_name) continue;
        int family = i->ifa_addr->sa_family;
        if (family != AF_INET && family != AF_INET6) continue;
        char host[NI_MAXHOST];
        socklen_t len = family == AF_INET ? sizeof(struct sockaddr_in) : sizeof(struct sockaddr_in6);
        if (getnameinfo(i->ifa_addr, len, host, sizeof host, nullptr, 0, NI_NUMERICHOST) == 0)
            out.emplace_back(host);
    }
    freeifaddrs(list);
    return out;
}

}  // namespace sipw
