"""sipworker — Python binding of the sipworker SIP softphone SDK.

A thin, Pythonic layer over the SWIG module ``sipworker.sipw`` (the flat C ABI of ``libsipw``).
Everything both bindings share (validation, Chinese texts, ``wait_for`` semantics) lives in the core;
this package only adapts it to Python idioms.

Threading rule: no native thread ever calls into Python. Each :class:`SipWorker` owns one Python
thread that pulls events with ``sipw_wait_event`` (the GIL released while it blocks) and runs the
listeners there, in order.
"""
from . import sipw as _native
from .errors import SipwError
from .names import Cmd, On, ResultCode
from .events import CauseData
from .worker import SipWorker

__version__ = _native.sipw_version()

__all__ = ["SipWorker", "Cmd", "On", "ResultCode", "CauseData", "SipwError", "__version__"]
