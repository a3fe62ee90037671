"""Load tests on Locust: :class:`SipUser`, an abstract ``locust.User`` that is a SIP phone.

Import it explicitly from a locustfile (``from sipworker.locust import SipUser``); the ``sipworker``
package never imports it, because importing locust monkey-patches the whole process with gevent.
Under that patching every :class:`~sipworker.SipWorker` waits on its event descriptor from a
greenlet, so no native call blocks the gevent hub and all users of a process share its one thread.

Importing this module also:

- gives Debian's ``python3-locust`` its version back. That package (2.12.1-1) ships an empty
  ``locust.__version__``; a worker process sends it to the master, which rejects every worker as
  "an old (pre 2.0) worker". When ``locust.runners.__version__`` is empty it is set to the installed
  package's version (``dpkg-query``), in the master and in every worker alike since all of them load
  the locustfile. :data:`LOCUST_VERSION_PATCHED` says whether that happened; with a locust that
  has a version nothing is touched.
- makes a headless master wait for its workers' final statistics. Locust's master gives workers
  0.5 s after ``quit`` before it stops listening, but a SIP user's ``on_stop`` (hang up, unregister)
  takes longer, and everything reported meanwhile would be missing from the results. The master now
  sends ``quit`` and waits until each worker has said goodbye (after its users stopped and its last
  report), at most ``--stop-timeout`` + :data:`FINAL_REPORT_GRACE_S` seconds.
- writes the ``--csv`` statistics once more when Locust quits. Its CSV writer rewrites the files
  every second and stops with the process, so what users reported in their last second (``on_stop``
  included) was only in the printed summary.
"""
import gc
import heapq
import importlib.metadata
import logging
import subprocess

import gevent
import locust
import locust.runners
import locust.stats
from locust import User, events
from locust.exception import StopUser
from locust.rpc import Message

from ._calls import Call, SipFailure, register, unregister
from .names import text
from .worker import SipWorker

__all__ = ["SipUser", "SipFailure", "LOCUST_VERSION_PATCHED", "FINAL_REPORT_GRACE_S"]

log = logging.getLogger("sipworker.locust")

REQUEST_TYPE = "SIP"
FINAL_REPORT_GRACE_S = 30.0


# ---- Debian's empty locust version ------------------------------------------------------------------
def _installed_locust_version():
    """The installed locust's version: its metadata, unless that is the placeholder Debian's package
    carries (0.0.0), else the Debian package's upstream version, else a stand-in. Any non-empty
    string does, as long as master and workers agree, and they run the same installation."""
    try:
        version = importlib.metadata.version("locust")
    except importlib.metadata.PackageNotFoundError:
        version = ""
    if version and version != "0.0.0":
        return version
    try:
        deb = subprocess.run(["dpkg-query", "-W", "-f=${Version}", "python3-locust"],
                             capture_output=True, text=True, timeout=10).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        deb = ""
    if deb:  # "[epoch:]upstream-debian_revision" -> upstream
        return deb.split(":", 1)[-1].rsplit("-", 1)[0]
    return version or "0+unknown"


def _give_locust_its_version():
    # The runners module bound `from locust import __version__` at its import: that copy is the
    # one a worker sends in "client_ready" and the master checks, so it is the one to set.
    if locust.runners.__version__:
        return False
    version = _installed_locust_version()
    locust.runners.__version__ = version
    locust.__version__ = version  # for the start-up banner
    return True


LOCUST_VERSION_PATCHED = _give_locust_its_version()


# ---- the master waits for its workers' last reports -------------------------------------------------
@events.init.add_listener
def _wait_for_final_reports(environment, runner=None, **_):
    if not isinstance(runner, locust.runners.MasterRunner):
        return
    original_quit = runner.quit
    quitting = []

    def quit_after_final_reports():
        # The master's listener calls quit() again when the last worker leaves: let the first run on.
        if quitting:
            return
        quitting.append(True)
        # Stopped first (as quit() itself does), so that a worker leaving is not taken for a lost
        # worker whose users must be spawned elsewhere.
        runner.stop(send_stop_to_client=False)
        present = [c for c in runner.clients.all if c.state != locust.runners.STATE_MISSING]
        for client in present:
            runner.server.send_to_client(Message("quit", None, client.id))
        # A worker answers "quit" after its users' on_stop and its final report (same connection).
        with gevent.Timeout((environment.stop_timeout or 0) + FINAL_REPORT_GRACE_S, False):
            while any(c.state != locust.runners.STATE_MISSING for c in runner.clients.all):
                gevent.sleep(0.1)
        original_quit()

    runner.quit = quit_after_final_reports


@events.quit.add_listener
def _write_final_csv(**_):
    # The writer is a local of locust's main(): find it among the live objects (once, at exit).
    for writer in [o for o in gc.get_objects() if isinstance(o, locust.stats.StatsCSVFileWriter)]:
        for handle, out, columns, rows in (
                (writer.requests_csv_filehandle, writer.requests_csv_writer, writer.requests_csv_columns,
                 writer._requests_data_rows),
                (writer.failures_csv_filehandle, writer.failures_csv_writer, writer.failures_columns,
                 writer._failures_data_rows),
                (writer.exceptions_csv_filehandle, writer.exceptions_csv_writer, writer.exceptions_columns,
                 writer._exceptions_data_rows)):
            if handle.closed:
                continue
            handle.seek(0)
            out.writerow(columns)
            rows(out)
            handle.truncate()
            handle.flush()


# ---- accounts ---------------------------------------------------------------------------------------
class _Slots:
    """The lowest free slot of this process; a slot comes back when its user stops."""

    def __init__(self):
        self._free, self._next = [], 0

    def take(self):
        if self._free:
            return heapq.heappop(self._free)
        self._next += 1
        return self._next - 1

    def give(self, slot):
        heapq.heappush(self._free, slot)


_slots_by_accounts = {}  # id(accounts list) -> _Slots: one pool per list of accounts


class SipUser(User):
    """A simulated SIP phone (abstract: subclass it, give it tasks).

    Class attributes:

    ``sip_server``
        INIT's ``sipServer``: a URI string or a list of them.
    ``accounts``
        A list of ``{"uri": ..., "password": ...}``. Every simulated user of every Locust process
        holds a different one: a process hands its users slots 0, 1, 2... (a stopped user's slot is
        reused) and with W worker processes (the master's ``--expect-workers``), the user in slot s
        of the worker with index i takes account ``s * W + i``. As Locust spreads users evenly,
        N users need N accounts (N + W - 1 at most with several user classes). A user for whom
        there is no account, or a worker whose index is not below W, reports a failed ``register``
        saying so and stops: two users never share a registration.
    ``init``
        A dict merged into the INIT payload over the defaults (a dict value into the default's
        dict), e.g. ``{"audio": {"input": "file:/prompt.wav"}}`` or ``{"ice": {...}}``. The defaults
        send silence and play nothing (``audio: {"input": "silence", "output": "null"}``).
    ``register_timeout``, ``setup_timeout``, ``first_audio_timeout``, ``unregister_timeout``
        Seconds each step may take before it is reported as failed.

    ``on_start`` creates ``self.worker`` (a :class:`~sipworker.SipWorker`) and registers, reported as
    request ``register``; if that fails the user stops. ``on_stop`` hangs up a call still running,
    unregisters (request ``unregister``; the registrar keeps no binding) and closes the worker.
    :meth:`call` places a call. Requests have the type ``SIP`` and response times in milliseconds; a
    failure's text is the cause and its Chinese causeCN, e.g.
    ``Unavailable / 对方暂时无法接通 (480 Temporarily Unavailable)``.

    Under Locust, listeners of ``self.worker`` run on the gevent hub: a listener that blocks (not
    cooperatively) stalls every user of the process.
    """

    abstract = True
    sip_server = None
    accounts = []
    init = {}
    register_timeout = 40.0  # longer than SIP's 32 s transaction timeout: the core reports that one
    setup_timeout = 30.0
    first_audio_timeout = 5.0
    unregister_timeout = 10.0

    def __init__(self, environment):
        super().__init__(environment)
        self.worker = None
        self.account = None  # the {"uri", "password"} this user holds
        self.account_index = None
        self.registered = False
        self._slot = None
        self._call = None

    # ---- reporting -----------------------------------------------------------------------------
    def report(self, name, response_time_ms, failure=None):
        """Fires one Locust request of type ``SIP`` (``failure``: None or an exception)."""
        self.environment.events.request.fire(
            request_type=REQUEST_TYPE, name=name, response_time=response_time_ms, response_length=0,
            response=None, context={}, exception=failure)

    # ---- life cycle ----------------------------------------------------------------------------
    def on_start(self):
        refused = self._take_account()
        if refused:
            self.report("register", 0, SipFailure(refused))
            raise StopUser()  # Locust then runs on_stop, which gives everything back
        self.worker = SipWorker()
        if not register(self.worker, self._init_config(), self.register_timeout, self.report):
            raise StopUser()
        self.registered = True

    def on_stop(self):
        try:
            if self.worker is not None:
                call, self._call = self._call, None
                if call is not None and call.session_id is not None:  # interrupted by the test's end
                    try:
                        self.worker.hangup(call.session_id)
                    except Exception:  # already ended: nothing left to hang up
                        pass
                if self.registered:
                    unregister(self.worker, self.unregister_timeout, self.report)
                    self.registered = False
                self.worker.close()
        finally:
            if self._slot is not None:
                _slots_by_accounts[id(self.accounts)].give(self._slot)
                self._slot = None

    def call(self, target, duration=5.0, **options):
        """Calls ``target``, holds the call ``duration`` seconds after it is confirmed, hangs up.

        Reports ``call_setup`` (CALL → confirmed), ``first_audio`` (CALL → the first audio decoded
        here, for a call that was set up) and ``call`` (CALL → end), each once per call. ``options``
        are CALL's options (e.g. ``audio={"input": "file:/x.wav"}``). True if the call was set up,
        had audio and ended as planned."""
        self._call = Call(self.worker, self.report, setup_timeout=self.setup_timeout,
                          first_audio_timeout=self.first_audio_timeout)
        try:
            return self._call.run(target, duration, **options)
        finally:
            if self._call.session_id is None:  # over; else on_stop hangs it up
                self._call = None

    # ---- helpers -------------------------------------------------------------------------------
    def _take_account(self):
        """Takes this user's account; returns why it cannot, or None."""
        accounts = self.accounts
        if not accounts:
            return text("load_no_accounts", type(self).__name__)
        runner = self.environment.runner
        options = self.environment.parsed_options
        workers = max(1, int(getattr(options, "expect_workers", 1) or 1)) \
            if isinstance(runner, locust.runners.WorkerRunner) else 1
        index = max(0, runner.worker_index) if isinstance(runner, locust.runners.WorkerRunner) else 0
        if index >= workers:
            return text("load_too_many_workers", index, workers)
        slots = _slots_by_accounts.setdefault(id(accounts), _Slots())
        slot = slots.take()
        account_index = slot * workers + index
        if account_index >= len(accounts):
            slots.give(slot)
            return text("load_no_account_left", len(accounts), slot, index, workers, account_index)
        self._slot, self.account_index, self.account = slot, account_index, accounts[account_index]
        return None

    def _init_config(self):
        servers = self.sip_server if isinstance(self.sip_server, (list, tuple)) else [self.sip_server]
        config = {"uri": self.account["uri"], "password": self.account.get("password", ""),
                  "sipServer": list(servers), "sipWorkerid": f"locust-{self.account_index}",
                  "audio": {"input": "silence", "output": "null"}}
        for key, value in (self.init or {}).items():
            # One level deep, so that {"audio": {"input": ...}} keeps the default output.
            both_dicts = isinstance(value, dict) and isinstance(config.get(key), dict)
            config[key] = {**config[key], **value} if both_dicts else value
        return config
