"""sipworker — Python binding of the sipworker SIP softphone SDK.

A thin, Pythonic layer over the SWIG module ``sipworker.sipw`` (the flat C ABI of ``libsipw``).
Everything both bindings share (validation, Chinese texts, ``wait_for`` semantics, handle safety)
lives in the core; this package only adapts it to Python idioms.

Threading rule: no native thread ever calls into Python. Each :class:`SipWorker` (and each
:class:`Retry` with delayed retries) waits on the core's event descriptor from one Python thread
(a greenlet under gevent) or from the asyncio loop it was created in, and runs the listeners there.
The pytest plugin lives in ``sipworker.testing``; nothing here imports gevent, locust or pytest.
"""
from . import sipw as _native
from .errors import SipwError
from .names import Cmd, On, ResultCode
from .events import CauseData
from .retry import Retry
from .worker import SipWorker

__version__ = _native.sipw_version()

__all__ = ["SipWorker", "Retry", "Cmd", "On", "ResultCode", "CauseData", "SipwError", "__version__"]
