#!/usr/bin/env python3
"""Outbound dialer: places N calls (a few at a time) and reports each outcome with its Chinese cause.

    python3 dialer.py --server 127.0.0.1 --user 1001 --password pass1001 --count 5 1002 1003 9999

Targets are used round robin. Answered calls are kept --talk seconds, then hung up. The exit code
is 0 if every call was answered, else 1.
"""
import argparse
import asyncio
import itertools

from sipworker import Cmd, On, SipWorker, SipwError

END = (On.ON_SESSTION_ENDED, On.ON_SESSTION_FAILED)


async def dial(w, n, target, talk, ring_timeout):
    """One call: returns (n, target, answered, outcome event)."""
    try:
        sid = w.call(target)  # the session id is chosen client-side: no event can be missed
    except SipwError as e:
        return n, target, False, f"{e.message} / {e.message_cn}"
    answered = False
    while True:
        ev = await w.wait_for_async(On.ON_RTCSESSION_STATE, timeout=ring_timeout, match={"sessionId": sid})
        if ev is None:
            w.hangup(sid, is_timeout=True)  # client-side timeout: cause "Request Timeout"
            continue
        if ev.msg == On.ON_SESSTION_CONFIRMED:
            answered = True
            await asyncio.sleep(talk)
            w.hangup(sid)
        elif ev.msg in END:
            return n, target, answered, ev


def describe(outcome):
    if isinstance(outcome, str):
        return outcome
    if outcome.msg == On.ON_SESSTION_ENDED:
        return f"ended ({outcome.cause or 'normal'})"
    return f"failed: {outcome.statusCode or ''} {outcome.cause} / {outcome.causeCN}"


async def run(args):
    with SipWorker() as w:
        port = 5061 if args.transport == "tls" else 5060
        w.post(Cmd.INIT, {
            "uri": f"sip:{args.user}@{args.server}",
            "password": args.password,
            "sipServer": [f"sip:{args.server}:{port};transport={args.transport}"],
        })
        reg = await w.wait_for_async("*", timeout=10, match={"msg": [
            On.ON_REGISTERED, On.ON_REGISTRATIONFAILED]})
        if reg is None or reg.channel != On.ON_REGISTERED:
            print("not registered:", reg and f"{reg.cause} / {reg.causeCN}")
            return 1
        slots = asyncio.Semaphore(args.parallel)
        targets = itertools.cycle(args.targets)

        async def limited(n, target):
            async with slots:
                return await dial(w, n, target, args.talk, args.ring_timeout)

        results = await asyncio.gather(*(limited(n, next(targets)) for n in range(1, args.count + 1)))
        for n, target, answered, outcome in results:
            print(f"call {n:3} to {target}: {'answered' if answered else 'not answered'}, {describe(outcome)}")
        return 0 if all(answered for _, _, answered, _ in results) else 1


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("targets", nargs="+")
    p.add_argument("--server", default="127.0.0.1")
    p.add_argument("--transport", default="udp", choices=["udp", "tcp", "tls"])
    p.add_argument("--user", required=True)
    p.add_argument("--password", required=True)
    p.add_argument("--count", type=int, default=3)
    p.add_argument("--parallel", type=int, default=2)
    p.add_argument("--talk", type=float, default=3.0)
    p.add_argument("--ring-timeout", type=float, default=30.0)
    raise SystemExit(asyncio.run(run(p.parse_args())))


if __name__ == "__main__":
    main()
