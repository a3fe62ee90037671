#include "media/ice_transport.hpp"

#include "media/ice_loop.hpp"

#include <gio/gio.h>
#include <nice/agent.h>
#include <nice/interfaces.h>

#include <mutex>
#include <utility>

namespace sipw {

namespace {

constexpr guint kComponent = 1;  // the only one: RTP and RTCP are muxed
constexpr guint kCheckPacingMs = 5;

struct ResolvedServer {
    std::string address;  // numeric once resolved: libnice wants an address
    int port;
    bool turn;
    std::string user, password;
    bool tcp;
    bool tls;
};

}  // namespace

// Everything below is touched on the ICE thread only, except what sendMutex guards.
struct IceTransport::State : std::enable_shared_from_this<IceTransport::State> {
    Hooks hooks;
    NiceAgent *agent = nullptr;  // owned until close
    guint streamId = 0;  // 0 until gather()
    std::vector<gulong> signalHandlers;
    std::vector<ResolvedServer> servers;
    int pendingLookups = 0;                   // server names being resolved (gathering waits)
    GCancellable *lookups = nullptr;          // cancels them on close
    std::vector<std::string> localAddresses;  // empty: every interface's
    bool closed = false;
    bool reportedConnected = false;
    bool reportedFailed = false;
    bool deliveringPacket = false;  // inside onPacket: libnice still uses the stream afterwards

    std::mutex sendMutex;
    NiceAgent *sendingAgent = nullptr;  // the agent while connected, else null (sendMutex)
    guint sendingStream = 0;            // (sendMutex)
};

namespace {

using State = IceTransport::State;

std::string takeString(gchar *text) {
    std::string copy = text ? text : "";
    g_free(text);
    return copy;
}

// Signals are emitted by whichever thread releases the agent's lock, usually the ICE thread but
// possibly one inside send(). So a handler only queues the event to the ICE thread: hooks then
// never run inside a libnice call, and may close the transport. The handler's data is a weak
// reference, freed with the handler, so an emission racing close() touches nothing freed.
void queueEvent(gpointer weakState, std::function<void(State &)> event) {
    std::shared_ptr<State> state = static_cast<std::weak_ptr<State> *>(weakState)->lock();
    if (!state) return;
    runOnIceLoop([state, event] { if (!state->closed) event(*state); }, false);
}

void forgetWeakState(gpointer weakState, GClosure *) { delete static_cast<std::weak_ptr<State> *>(weakState); }

void reportFailure(State &state, const std::string &why) {
    {
        std::lock_guard<std::mutex> lock(state.sendMutex);
        state.sendingAgent = nullptr;
    }
    if (state.reportedFailed) return;
    state.reportedFailed = true;
    if (state.hooks.onFailed) state.hooks.onFailed(why);
}

void onGatheringDone(NiceAgent *, guint, gpointer weakState) {
    queueEvent(weakState, [](State &state) { if (state.hooks.onGathered) state.hooks.onGathered(); });
}

void onComponentStateChanged(NiceAgent *, guint, guint, guint componentState, gpointer weakState) {
    queueEvent(weakState, [componentState](State &state) {
        // libnice says CONNECTED once a pair is selected (data may flow) and READY when the checks
        // are over; either may be the first we see, and READY may follow CONNECTED.
        if (componentState == NICE_COMPONENT_STATE_CONNECTED || componentState == NICE_COMPONENT_STATE_READY) {
            {
                std::lock_guard<std::mutex> lock(state.sendMutex);
                state.sendingAgent = state.agent;
                state.sendingStream = state.streamId;
            }
            if (state.reportedConnected || state.reportedFailed) return;
            state.reportedConnected = true;
            if (state.hooks.onConnected) state.hooks.onConnected();
        } else if (componentState == NICE_COMPONENT_STATE_FAILED) {
            reportFailure(state, state.reportedConnected ? "the peer stopped answering ICE consent checks"
                                                         : "no ICE candidate pair could reach the peer");
        }
    });
}

void onDatagram(NiceAgent *, guint, guint, guint size, gchar *data, gpointer rawState) {
    // Called on the ICE thread (libnice dispatches attached receivers in their context); the state
    // outlives it because close() detaches the receiver on this thread before letting go.
    State &state = *static_cast<State *>(rawState);
    if (state.closed || !state.hooks.onPacket) return;
    std::shared_ptr<State> keepAlive = state.shared_from_this();  // the hook may destroy the transport
    state.deliveringPacket = true;
    state.hooks.onPacket(reinterpret_cast<const guint8 *>(data), size);
    state.deliveringPacket = false;
}

void connectSignal(State &state, const std::shared_ptr<State> &owner, const char *name, GCallback handler) {
    gulong id = g_signal_connect_data(state.agent, name, handler, new std::weak_ptr<State>(owner), forgetWeakState,
                                      GConnectFlags(0));
    state.signalHandlers.push_back(id);
}

void closeWithTurnDone(GObject *agent, GAsyncResult *, gpointer) { g_object_unref(agent); }

// On the ICE thread. Nothing of the agent may call us back afterwards.
void shutDown(State &state) {
    if (state.closed) return;
    state.closed = true;
    if (state.lookups) {
        g_cancellable_cancel(state.lookups);
        g_clear_object(&state.lookups);
    }
    {
        std::lock_guard<std::mutex> lock(state.sendMutex);  // waits out a send under way
        state.sendingAgent = nullptr;
    }
    NiceAgent *agent = std::exchange(state.agent, nullptr);
    if (!agent) return;
    for (gulong id : state.signalHandlers) g_signal_handler_disconnect(agent, id);
    state.signalHandlers.clear();
    guint streamId = state.streamId;
    if (streamId) nice_agent_attach_recv(agent, streamId, kComponent, iceLoopContext(), nullptr, nullptr);
    bool releaseAllocations = false;
    for (const ResolvedServer &server : state.servers) releaseAllocations = releaseAllocations || server.turn;
    auto release = [agent, streamId, releaseAllocations] {
        if (releaseAllocations) {
            // Tells the TURN servers to free our relays now, not when their lifetime runs out.
            nice_agent_close_async(agent, closeWithTurnDone, nullptr);
            return;
        }
        if (streamId) nice_agent_remove_stream(agent, streamId);  // closes the sockets now
        g_object_unref(agent);
    };
    // Inside onPacket libnice still reads the stream once the hook returns: let it go after that.
    if (state.deliveringPacket) runOnIceLoop(release, false);
    else release();
}

// The addresses asked for, else every interface's; the loopback ones only when there is nothing
// else (libnice never offers loopback itself, which leaves a machine or namespace with only lo
// without candidates).
void addLocalAddresses(NiceAgent *agent, const std::vector<std::string> &only) {
    auto add = [agent](const char *text) {
        NiceAddress address;
        nice_address_init(&address);
        if (nice_address_set_from_string(&address, text)) nice_agent_add_local_address(agent, &address);
    };
    if (!only.empty()) {
        for (const std::string &text : only) add(text.c_str());
        return;
    }
    GList *addresses = nice_interfaces_get_local_ips(FALSE);
    if (!addresses) addresses = nice_interfaces_get_local_ips(TRUE);
    for (GList *item = addresses; item; item = item->next) add(static_cast<const char *>(item->data));
    g_list_free_full(addresses, g_free);
}

bool useServers(State &state, std::string &error) {
    bool haveStun = false;
    for (const ResolvedServer &server : state.servers) {
        if (!server.turn) {
            if (haveStun) continue;  // libnice queries one STUN server
            haveStun = true;
            g_object_set(state.agent, "stun-server", server.address.c_str(), "stun-server-port", guint(server.port),
                         nullptr);
            continue;
        }
        if (!nice_agent_set_relay_info(state.agent, state.streamId, kComponent, server.address.c_str(),
                                       guint(server.port), server.user.c_str(), server.password.c_str(),
                                       server.tls   ? NICE_RELAY_TYPE_TURN_TLS
                                       : server.tcp ? NICE_RELAY_TYPE_TURN_TCP
                                                    : NICE_RELAY_TYPE_TURN_UDP)) {
            error = "the TURN server " + server.address + " was refused by libnice";
            return false;
        }
    }
    return true;
}

bool startGathering(State &state, std::string &error) {
    if (!useServers(state, error)) return false;
    if (!nice_agent_gather_candidates(state.agent, state.streamId)) {
        error = "libnice could not gather ICE candidates (no usable local address?)";
        return false;
    }
    return true;
}

// A server name resolved (or not): its address, and gathering once the last one is in.
struct ServerLookup {
    std::shared_ptr<State> state;
    size_t server;
};

void onServerResolved(GObject *resolver, GAsyncResult *result, gpointer data) {
    std::unique_ptr<ServerLookup> lookup(static_cast<ServerLookup *>(data));
    GError *failure = nullptr;
    GList *addresses = g_resolver_lookup_by_name_finish(G_RESOLVER(resolver), result, &failure);
    State &state = *lookup->state;
    ResolvedServer &server = state.servers[lookup->server];
    std::string why = failure ? failure->message : "no address";
    g_clear_error(&failure);
    if (state.closed || state.reportedFailed) {
        g_resolver_free_addresses(addresses);
        return;
    }
    if (!addresses) return reportFailure(state, "cannot resolve the ICE server " + server.address + ": " + why);
    // IPv4 first: the host candidates usually are.
    GInetAddress *chosen = G_INET_ADDRESS(addresses->data);
    for (GList *item = addresses; item; item = item->next)
        if (g_inet_address_get_family(G_INET_ADDRESS(item->data)) == G_SOCKET_FAMILY_IPV4) {
            chosen = G_INET_ADDRESS(item->data);
            break;
        }
    server.address = takeString(g_inet_address_to_string(chosen));
    g_resolver_free_addresses(addresses);
    std::string error;
    if (--state.pendingLookups == 0 && !startGathering(state, error)) reportFailure(state, error);
}

// Starts resolving the servers given by name, on the ICE thread's context: neither the caller's
// loop nor the ICE thread waits for DNS (a dead DNS server would hold them for seconds).
void resolveServerNames(const std::shared_ptr<State> &state) {
    GResolver *resolver = nullptr;
    for (size_t i = 0; i < state->servers.size(); ++i) {
        GInetAddress *literal = g_inet_address_new_from_string(state->servers[i].address.c_str());
        if (literal) {
            g_object_unref(literal);
            continue;
        }
        if (!resolver) resolver = g_resolver_get_default();
        if (!state->lookups) state->lookups = g_cancellable_new();
        ++state->pendingLookups;
        g_resolver_lookup_by_name_async(resolver, state->servers[i].address.c_str(), state->lookups, onServerResolved,
                                        new ServerLookup{state, i});
    }
    if (resolver) g_object_unref(resolver);
}

}  // namespace

IceTransport::IceTransport(bool controlling, Hooks hooks) : state_(std::make_shared<State>()) {
    state_->hooks = std::move(hooks);
    std::shared_ptr<State> state = state_;
    runOnIceLoop([state, controlling] {
        // Full ICE (not lite), not trickle: candidates travel in the offer and answer. Consent
        // freshness (RFC 7675), as WebRTC requires, also notices a peer that went away.
        state->agent = nice_agent_new_full(iceLoopContext(), NICE_COMPATIBILITY_RFC5245,
                                           NICE_AGENT_OPTION_CONSENT_FRESHNESS);
        // UDP only: one socket per address. No UPnP: it would start discovery for every call.
        // Checks paced at 5 ms, the floor RFC 8445 §14.2 sets (libnice's default is 20): a call's
        // one audio component needs few checks, and its media connects ~30 ms sooner.
        g_object_set(state->agent, "controlling-mode", gboolean(controlling), "ice-tcp", FALSE, "upnp", FALSE,
                     "stun-pacing-timer", guint(kCheckPacingMs), nullptr);
        connectSignal(*state, state, "candidate-gathering-done", G_CALLBACK(onGatheringDone));
        connectSignal(*state, state, "component-state-changed", G_CALLBACK(onComponentStateChanged));
    }, true);
}

IceTransport::~IceTransport() { close(); }

void IceTransport::setServers(const std::vector<IceServerAddress> &servers) {
    std::vector<ResolvedServer> named;
    for (const IceServerAddress &server : servers)
        named.push_back({server.host, server.port, server.turn, server.user, server.password, server.tcp, server.tls});
    std::shared_ptr<State> state = state_;
    runOnIceLoop([state, &named] { state->servers = std::move(named); }, true);
}

void IceTransport::limitTo(const std::vector<std::string> &localAddresses, bool relayOnly) {
    std::shared_ptr<State> state = state_;
    runOnIceLoop([state, localAddresses, relayOnly] {
        state->localAddresses = localAddresses;
        if (state->agent) g_object_set(state->agent, "force-relay", gboolean(relayOnly), nullptr);
    }, true);
}

bool IceTransport::gather(std::string &error) {
    bool ok = false;
    std::shared_ptr<State> state = state_;
    runOnIceLoop([state, &ok, &error] {
        if (!state->agent) {
            error = "the ICE transport is closed";
            return;
        }
        if (state->streamId) {
            error = "ICE gathering was already started";
            return;
        }
        addLocalAddresses(state->agent, state->localAddresses);
        state->streamId = nice_agent_add_stream(state->agent, 1);
        if (!state->streamId) {
            error = "libnice could not add an ICE stream";
            return;
        }
        nice_agent_attach_recv(state->agent, state->streamId, kComponent, iceLoopContext(), onDatagram, state.get());
        resolveServerNames(state);
        ok = state->pendingLookups > 0 || startGathering(*state, error);
    }, true);
    return ok;
}

IceTransport::LocalParameters IceTransport::local() const {
    LocalParameters local;
    std::shared_ptr<State> state = state_;
    runOnIceLoop([state, &local] {
        if (!state->agent || !state->streamId) return;
        gchar *ufrag = nullptr, *password = nullptr;
        if (nice_agent_get_local_credentials(state->agent, state->streamId, &ufrag, &password)) {
            local.ufrag = ufrag;
            local.password = password;
        }
        g_free(ufrag);
        g_free(password);
        GSList *candidates = nice_agent_get_local_candidates(state->agent, state->streamId, kComponent);
        for (GSList *item = candidates; item; item = item->next) {
            std::string line = takeString(nice_agent_generate_local_candidate_sdp(
                state->agent, static_cast<NiceCandidate *>(item->data)));
            if (line.rfind("a=", 0) == 0) line.erase(0, 2);
            while (!line.empty() && (line.back() == '\r' || line.back() == '\n')) line.pop_back();
            if (!line.empty()) local.candidates.push_back(line);
        }
        g_slist_free_full(candidates, reinterpret_cast<GDestroyNotify>(nice_candidate_free));
    }, true);
    return local;
}

void IceTransport::setControlling(bool controlling) {
    std::shared_ptr<State> state = state_;
    runOnIceLoop([state, controlling] {
        if (state->agent) g_object_set(state->agent, "controlling-mode", gboolean(controlling), nullptr);
    }, true);
}

bool IceTransport::setRemote(const std::string &ufrag, const std::string &password,
                             const std::vector<std::string> &candidates, std::string &error) {
    bool ok = false;
    std::shared_ptr<State> state = state_;
    runOnIceLoop([&] {
        if (!state->agent || !state->streamId) {
            error = state->agent ? "gather() must come before setRemote()" : "the ICE transport is closed";
            return;
        }
        if (!nice_agent_set_remote_credentials(state->agent, state->streamId, ufrag.c_str(), password.c_str())) {
            error = "libnice refused the remote ICE credentials";
            return;
        }
        GSList *usable = nullptr;
        for (const std::string &line : candidates) {
            // libnice parses only the attribute form.
            std::string attribute = line.rfind("a=", 0) == 0 ? line : "a=" + line;
            NiceCandidate *candidate =
                nice_agent_parse_remote_candidate_sdp(state->agent, state->streamId, attribute.c_str());
            if (!candidate) continue;  // an mDNS name or a transport libnice cannot parse
            if (candidate->component_id != kComponent || candidate->transport != NICE_CANDIDATE_TRANSPORT_UDP)
                nice_candidate_free(candidate);  // RTCP of a peer that does not mux, or ICE-TCP
            else
                usable = g_slist_append(usable, candidate);
        }
        if (!usable) {
            error = "none of the peer's " + std::to_string(candidates.size()) + " ICE candidates is usable";
            return;
        }
        int added = nice_agent_set_remote_candidates(state->agent, state->streamId, kComponent, usable);
        g_slist_free_full(usable, reinterpret_cast<GDestroyNotify>(nice_candidate_free));
        if (added <= 0) {
            error = "libnice refused the peer's ICE candidates";
            return;
        }
        ok = true;
    }, true);
    return ok;
}

bool IceTransport::send(const guint8 *data, gsize size) {
    std::lock_guard<std::mutex> lock(state_->sendMutex);  // close() waits for this send to finish
    if (!state_->sendingAgent) return false;
    gint sent = nice_agent_send(state_->sendingAgent, state_->sendingStream, kComponent, guint(size),
                                reinterpret_cast<const gchar *>(data));
    return sent == gint(size);
}

void IceTransport::prepare() { IceTransport(true, Hooks()).close(); }

void IceTransport::close() {
    std::shared_ptr<State> state = state_;
    runOnIceLoop([state] { shutDown(*state); }, true);
}

}  // namespace sipw
