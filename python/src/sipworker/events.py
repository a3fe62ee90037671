"""CauseData: one event, as the original library's CauseData object."""
import json

# The original library's CauseData fields; optional ones read as None when an event lacks them.
CAUSE_DATA_FIELDS = (
    "id", "uri", "fromUri", "msg", "code", "sessionId", "sessionOrigin", "msgCN", "originator",
    "cause", "causeCN", "statusCode", "reason", "time", "extra", "data",
)


class CauseData:
    """One event.

    Read the original library's fields as attributes (``ev.msg``, ``ev.causeCN``, ``ev.sessionId``
    ...; None when absent), or by key (``ev["msg"]``, ``ev.get("x")``). ``ev.channel`` is the
    channel it was emitted on (the ``on`` value a listener registered for, e.g.
    ``new_RTCSession_state`` for session events, whose ``msg`` is the state), ``ev.json`` the whole
    CauseData as a dict, ``ev.raw`` its JSON text.
    """
    __slots__ = ("channel", "json", "raw")

    def __init__(self, channel, raw_json):
        self.channel = channel
        self.raw = raw_json
        self.json = json.loads(raw_json)

    def __getattr__(self, name):
        # Only reached for names that are not slots: the CauseData fields.
        try:
            return self.json[name]
        except KeyError:
            if name in CAUSE_DATA_FIELDS:
                return None
            raise AttributeError(f"CauseData has no field {name!r}") from None

    def __getitem__(self, key):
        return self.json[key]

    def __contains__(self, key):
        return key in self.json

    def get(self, key, default=None):
        return self.json.get(key, default)

    def matches(self, name):
        """True if a listener registered for ``name`` receives this event (channel or msg, or "*")."""
        return name == "*" or name == self.channel or name == self.json.get("msg")

    def __eq__(self, other):
        return isinstance(other, CauseData) and (self.channel, self.json) == (other.channel, other.json)

    __hash__ = None  # mutable payload

    def __repr__(self):
        return f"CauseData(channel={self.channel!r}, {self.json!r})"
