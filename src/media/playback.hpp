// Playing a file or URL to the local output (ringtones, prompts): the PLAY / PLAY_STOP commands.
//
// Each playback is a small GStreamer pipeline of its own on the worker's loop thread, apart from
// calls: the decoded file mixed with live silence (which paces it in real time, also into a
// `file:` or `null` output) into the output. Events: `playStarted` once it plays, `playEnded`
// (data.reason "finished" | "stopped" | "error") when it is over; both carry data.playId.
// This header includes no GStreamer.
#pragma once

#include "base/event.hpp"
#include "media_api/media_options.hpp"

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>

typedef struct _GMainContext GMainContext;

namespace sipw {

struct PlayRequest {
    std::string playId;
    std::string source;     // a file path or an http(s):// / file:// URL
    AudioEndpoint output;   // device | file:PATH.wav | null
    bool loop = false;      // start over at the end until PLAY_STOP
};

// Ids of the playbacks not yet ended, readable from any thread (PLAY_STOP is checked against it
// synchronously, PLAY refuses an id in use).
class PlaybackIds {
public:
    bool add(const std::string &id);
    void remove(const std::string &id);
    bool contains(const std::string &id) const;

private:
    mutable std::mutex mutex_;
    std::set<std::string> ids_;
};

class Playback;

// The playbacks of one worker. Loop thread only.
class Playbacks {
public:
    using Emit = std::function<void(const CauseData &)>;
    Playbacks(GMainContext *context, std::shared_ptr<PlaybackIds> ids, Emit emit);
    ~Playbacks();  // stops every playback; `file:` outputs are finalized (bounded wait)

    void play(const PlayRequest &request);
    void stop(const std::string &playId);
    void stopAll();

private:
    void ended(const std::string &playId, const std::string &reason, const std::string &detail);

    GMainContext *context_;
    std::shared_ptr<PlaybackIds> ids_;
    Emit emit_;
    std::map<std::string, std::shared_ptr<Playback>> playing_;
};

}  // namespace sipw
