"""``python3 -m sipworker``: a command-line softphone for shell scripts and PBX tests.

Subcommands::

    register                      register, report, unregister (--stay S keeps the binding S seconds)
    call TARGET                   call TARGET, stay --duration S after it is answered, hang up
    answer                        auto-answer robot: answer --count N incoming calls
    play FILE --target T          call T and play FILE into the call
    record OUT.wav [--target T]   call T (or answer the next incoming call) and record what is heard
    dtmf TARGET TONES             call TARGET, send TONES once answered, hang up

Exit codes (stable, for scripts):
    0  success
    1  a failure reported by the network or the peer (registrationFailed, session_failed...);
       the cause and its Chinese text are printed
    2  usage error: bad flags, or input the library rejected (SipwError EINVAL / ENOCMD)
    3  timeout: the expected event did not arrive within --timeout seconds
    130 interrupted (Ctrl-C)

With --json every event is printed as one CauseData JSON object per line on stdout (the core's own
text, untouched); otherwise a short human-readable line per event.
"""
import argparse
import json
import re
import sys
import threading
import time

from . import __version__
from .names import On
from .errors import SipwError
from .worker import SipWorker

EXIT_OK, EXIT_FAILURE, EXIT_USAGE, EXIT_TIMEOUT, EXIT_INTERRUPTED = 0, 1, 2, 3, 130

DEFAULT_PORTS = {"udp": 5060, "tcp": 5060, "tls": 5061, "ws": 8080, "wss": 8443}
SESSION_CHANNEL = str(On.ON_RTCSESSION_STATE)
SESSION_END_STATES = {str(On.ON_SESSTION_ENDED), str(On.ON_SESSTION_FAILED)}


class Timeout(Exception):
    """The awaited event did not come in time (exit code 3)."""


class Failure(Exception):
    """The network or the peer reported a failure (exit code 1)."""

    def __init__(self, ev):
        super().__init__(describe(ev))
        self.event = ev


def describe(ev):
    parts = [ev.channel if ev.channel == ev.msg else f"{ev.channel}/{ev.msg}"]
    for field in ("sessionId", "statusCode", "reason", "cause", "causeCN", "fromUri"):
        value = ev.get(field)
        if value not in (None, "", 0):
            parts.append(f"{field}={value}")
    return " ".join(str(p) for p in parts)


# ---- INIT from flags ------------------------------------------------------------------------------
_SCHEME = re.compile(r"^(sips?:|[a-z]+://)", re.I)


def server_uri(server, transport):
    """--server as given if it is already a URI; otherwise host[:port] made into one."""
    if _SCHEME.match(server):
        return server
    host, _, port = server.partition(":")
    port = port or DEFAULT_PORTS[transport]
    if transport in ("ws", "wss"):
        return f"{transport}://{host}:{port}/ws"
    return f"sip:{host}:{port};transport={transport}"


def server_host(server):
    rest = _SCHEME.sub("", server)
    return re.split(r"[:;/]", rest, maxsplit=1)[0]


def init_config(args):
    domain = args.domain or server_host(args.server)
    config = {
        "uri": args.user if args.user.startswith("sip") else f"sip:{args.user}@{domain}",
        "password": args.password,
        "sipServer": [server_uri(args.server, args.transport)],
        "sipIce": args.ice or [],
        "register": True,
    }
    if args.transport in ("tls", "wss"):
        config["tls"] = {"verify": not args.insecure}
        if args.ca_file:
            config["tls"]["caFile"] = args.ca_file
    if args.ice_timeout_ms is not None:
        config["ice"] = {"gatheringTimeoutMs": args.ice_timeout_ms}
    if args.locale:
        config["locale"] = args.locale
    return config


# ---- steps ----------------------------------------------------------------------------------------
def expect(w, name, timeout, match=None):
    ev = w.wait_for(name, timeout=timeout, match=match)
    if ev is None:
        raise Timeout(f"no {name} within {timeout} s")
    return ev


def register(w, args):
    w.init(init_config(args))
    # The outcome is the first of registered / registrationFailed / disconnected (user-agent
    # events, whose msg is their channel).
    ev = expect(w, "*", args.timeout, {"msg": [On.ON_REGISTERED, On.ON_REGISTRATIONFAILED, On.ON_DISCONNECTED]})
    if ev.channel != On.ON_REGISTERED:
        raise Failure(ev)
    return ev


def follow_session(w, sid, timeout, until):
    """Waits for the session's state events in order until one in ``until`` (or its end)."""
    while True:
        ev = expect(w, SESSION_CHANNEL, timeout, {"sessionId": sid})
        if ev.msg in until:
            return ev
        if ev.msg in SESSION_END_STATES:
            raise Failure(ev)


def talk_then_hang_up(w, sid, args):
    """Keeps the answered call for --duration seconds (or until the peer ends it), then hangs up."""
    end = session_end(w, sid, args.duration)
    if end is None:
        w.hangup(sid)
        end = session_end(w, sid, args.timeout)
        if end is None:
            raise Timeout(f"session {sid} did not end within {args.timeout} s of the hangup")
    if end.msg == On.ON_SESSTION_FAILED:
        raise Failure(end)


def session_end(w, sid, seconds):
    """The session's session_ended / session_failed event within ``seconds``, else None."""
    deadline = time.monotonic() + seconds
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            return None
        ev = w.wait_for(SESSION_CHANNEL, timeout=left, match={"sessionId": sid})
        if ev is None:
            return None
        if ev.msg in SESSION_END_STATES:
            return ev


def audio_options(play=None, record=None):
    audio = {}
    if play:
        audio["input"] = f"file:{play}"
    if record:
        audio["output"] = f"file:{record}"
    return {"audio": audio} if audio else {}


def place_call(w, args, target, play=None, record=None):
    sid = w.call(target, **audio_options(play, record))
    follow_session(w, sid, args.timeout, {str(On.ON_SESSTION_CONFIRMED)})
    return sid


def answer_next(w, args, play=None, record=None):
    incoming = expect(w, SESSION_CHANNEL, args.timeout if args.timeout > 0 else None,
                      {"msg": str(On.ON_NEWRTCSESSION), "sessionOrigin": "incoming"})
    sid = incoming.sessionId
    w.answer(sid, **audio_options(play, record))
    follow_session(w, sid, args.timeout, {str(On.ON_SESSTION_CONFIRMED)})
    return sid


# ---- subcommands ----------------------------------------------------------------------------------
def cmd_register(w, args):
    register(w, args)
    if args.stay:
        time.sleep(args.stay)


def cmd_call(w, args):
    register(w, args)
    sid = place_call(w, args, args.target, play=args.play, record=args.record)
    talk_then_hang_up(w, sid, args)


def cmd_play(w, args):
    register(w, args)
    sid = place_call(w, args, args.target, play=args.file)
    talk_then_hang_up(w, sid, args)


def cmd_record(w, args):
    register(w, args)
    if args.target:
        sid = place_call(w, args, args.target, record=args.out)
    else:
        sid = answer_next(w, args, record=args.out)
    talk_then_hang_up(w, sid, args)


def cmd_dtmf(w, args):
    register(w, args)
    sid = place_call(w, args, args.target)
    w.dtmf(sid, args.tones, transport=args.dtmf_transport)
    talk_then_hang_up(w, sid, args)


def cmd_answer(w, args):
    register(w, args)
    for n in range(1, args.count + 1):
        record = args.record.format(n=n) if args.record else None
        sid = answer_next(w, args, play=args.play, record=record)
        talk_then_hang_up(w, sid, args)


# ---- parser / main --------------------------------------------------------------------------------
def build_parser():
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--server", required=True, help="host[:port] or a server URI (sip:, sips:, ws://...)")
    common.add_argument("--user", required=True, help="user part (e.g. 1001) or a full sip: URI")
    common.add_argument("--password", default="")
    common.add_argument("--transport", choices=sorted(DEFAULT_PORTS), default="udp")
    common.add_argument("--domain", help="SIP domain (default: the server's host)")
    common.add_argument("--ice", action="append", metavar="URL", help="STUN/TURN URL (repeatable)")
    common.add_argument("--ice-timeout-ms", type=int, help="ICE gathering timeout")
    common.add_argument("--insecure", action="store_true", help="TLS: do not verify the server certificate")
    common.add_argument("--ca-file", help="TLS: CA bundle to verify the server with")
    common.add_argument("--locale", choices=["zh-CN", "en"])
    common.add_argument("--timeout", type=float, default=10.0, help="seconds to wait for each step (default 10)")
    common.add_argument("--json", action="store_true", help="print every event as one CauseData JSON line")

    parser = argparse.ArgumentParser(prog="python3 -m sipworker", description=__doc__.split("\n\n")[0],
                                     epilog="exit codes: 0 ok, 1 failure cause, 2 usage error, 3 timeout",
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--version", action="version", version=f"sipworker {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser("register", parents=[common], help="register and report")
    p.add_argument("--stay", type=float, default=0, help="stay registered this many seconds")
    p.set_defaults(run=cmd_register)

    def with_call_duration(p):
        p.add_argument("--duration", type=float, default=5.0, help="seconds to stay in the call (default 5)")

    p = sub.add_parser("call", parents=[common], help="place a call")
    p.add_argument("target")
    p.add_argument("--play", metavar="FILE", help="play FILE into the call instead of the microphone")
    p.add_argument("--record", metavar="OUT.wav", help="record the received audio")
    with_call_duration(p)
    p.set_defaults(run=cmd_call)

    p = sub.add_parser("answer", parents=[common], help="auto-answer robot")
    p.add_argument("--count", type=int, default=1, help="calls to answer before exiting (default 1)")
    p.add_argument("--play", metavar="FILE", help="prompt to play into each call")
    p.add_argument("--record", metavar="PATTERN", help="record each call, e.g. call-{n}.wav")
    with_call_duration(p)
    p.set_defaults(run=cmd_answer)

    p = sub.add_parser("play", parents=[common], help="call and play a file into the call")
    p.add_argument("file")
    p.add_argument("--target", required=True)
    with_call_duration(p)
    p.set_defaults(run=cmd_play)

    p = sub.add_parser("record", parents=[common], help="record a call's received audio to WAV")
    p.add_argument("out")
    p.add_argument("--target", help="call this target (default: answer the next incoming call)")
    with_call_duration(p)
    p.set_defaults(run=cmd_record)

    p = sub.add_parser("dtmf", parents=[common], help="call and send DTMF tones")
    p.add_argument("target")
    p.add_argument("tones")
    p.add_argument("--dtmf-transport", choices=["rfc4733", "info"])
    with_call_duration(p)
    p.set_defaults(run=cmd_dtmf)
    return parser


def main(argv=None):
    args = build_parser().parse_args(argv)  # exits with 2 on usage errors
    out_lock = threading.Lock()

    def print_event(ev):  # runs on the worker's dispatcher thread
        line = ev.raw if args.json else describe(ev)
        with out_lock:
            print(line, flush=True)

    def report(text):
        with out_lock:
            print(text, file=sys.stderr, flush=True)

    try:
        with SipWorker() as w:
            w.on("*", print_event)
            args.run(w, args)
        return EXIT_OK
    except Failure as failure:
        report(f"failed: {failure}")
        return EXIT_FAILURE
    except Timeout as timeout:
        report(f"timeout: {timeout}")
        return EXIT_TIMEOUT
    except SipwError as error:
        report(f"error: {error}")
        usage = error.code in (SipwError.EINVAL, SipwError.ENOCMD)
        return EXIT_USAGE if usage else EXIT_FAILURE
    except KeyboardInterrupt:
        return EXIT_INTERRUPTED


if __name__ == "__main__":
    sys.exit(main())
