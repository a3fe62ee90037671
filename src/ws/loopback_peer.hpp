// Who is on the other end of a loopback TCP connection.
//
// The WebSocket adapter's loopback listener carries an authenticated SIP flow; any local program
// could connect to it and speak SIP in our name. Only sofia-sip, in this very process, may: the
// kernel's socket table (/proc/self/net/tcp) gives the inode of the connecting socket, and
// /proc/self/fd says whether this process holds it.
#pragma once

namespace sipw {

// True when the TCP connection from 127.0.0.1:`peerPort` to our listener on `listenPort` was
// opened by a socket of this process.
bool loopbackPeerIsThisProcess(int peerPort, int listenPort);

}  // namespace sipw
