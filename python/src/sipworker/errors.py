"""SipwError: a negative result of the C ABI, with the core's English and Chinese explanations."""
from . import sipw as _native
from .names import ResultCodes


class SipwError(ResultCodes, RuntimeError):
    """Raised when the core rejects a call synchronously.

    ``code`` is the C ABI's negative result (``SipwError.EINVAL`` ... ``SipwError.EINTERNAL``, the
    members of :class:`ResultCode`), ``message`` the English text and ``message_cn`` the Chinese
    text, both from the core's one table.
    """

    def __init__(self, code, message, message_cn):
        super().__init__(f"{message} / {message_cn} (code {code})")
        self.code = code
        self.message = message
        self.message_cn = message_cn

    @classmethod
    def from_last_error(cls, code):
        """Builds the error from the core's thread-local detail.

        Must run on the thread that made the failing call, before any other sipw_* call: the detail
        is per OS thread. Falls back to the static text of the code when there is no detail."""
        en = _native.sipw_last_error_text("en") or _native.sipw_errstr(code, "en")
        cn = _native.sipw_last_error_text("zh-CN") or _native.sipw_errstr(code, "zh-CN")
        return cls(code, en, cn)

    @classmethod
    def from_code(cls, code):
        """Builds the error from the static text of a code (no native call was made)."""
        return cls(code, _native.sipw_errstr(code, "en"), _native.sipw_errstr(code, "zh-CN"))
