"""Errors the API reports, each carrying its Alibaba ``Code``, message and HTTP status.

Handlers raise these; ``protocol.render.render_error`` turns them into the wire body in one place.
The tree: ServiceError
  - MissingParameter (Missing<Param>), MissingTimeParameter
  - InvalidParameter, InvalidTimeRange, MalformedTime, TimeNotSupported, InvalidPageSize,
    InvalidPageNumber, DomainOverLimit, IdempotentParameterMismatch, QuotaExceeded, InvalidTaskId
  - IllegalOperation (403)
  - usage queries: EndTimeMismatch, InvalidTimeSpan, InvalidInterval, InvalidNamedParameter
    (InvalidParameterField/Type/Area), DomainNotFound (InvalidDomain.NotFound, 404)
  - auth: IncompleteSignature, SignatureDoesNotMatch, AccessKeyNotFound (404), AccessKeyInactive,
    TimestampFormat, TimestampExpired, NonceUsed, InvalidSignatureMethod
  - edge: ActionNotFound (404), InvalidVersion, UnsupportedFormat, UnsupportedHTTPMethod (405),
    RequestTooLarge (413), Throttled, InternalError (500), ServiceUnavailable (503)
"""

from __future__ import annotations


class ServiceError(Exception):
    """An error with an Alibaba-style code, a human message and an HTTP status."""

    code: str = "InternalError"
    http_status: int = 400

    def __init__(self, message: str, *, code: str | None = None, http_status: int | None = None):
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code
        if http_status is not None:
            self.http_status = http_status


class MissingParameter(ServiceError):
    """A required parameter is absent: ``Missing<Param>``."""

    def __init__(self, name: str):
        super().__init__(f"{name} is mandatory for this action.", code=f"Missing{name}")


class MissingTimeParameter(ServiceError):
    code = "MissingTimeParameter"

    def __init__(self) -> None:
        super().__init__("The StartTime and EndTime must be both specified.")


class InvalidParameter(ServiceError):
    code = "InvalidParameter"

    def __init__(self, name: str, detail: str = ""):
        text = f"Specified parameter {name} is not valid."
        super().__init__(f"{text} {detail}".strip())


class MalformedTime(ServiceError):
    def __init__(self, name: str):
        super().__init__(
            f"The specified value of parameter {name} is malformed.",
            code=f"Invalid{name}.Malformed",
        )


class TimeNotSupported(ServiceError):
    def __init__(self, name: str, detail: str):
        super().__init__(
            f"The specified value of parameter {name} is not supported. {detail}",
            code=f"Invalid{name}.ValueNotSupported",
        )


class InvalidTimeRange(ServiceError):
    code = "InvalidTimeRange"

    def __init__(self, detail: str):
        super().__init__(f"Invalid StartTime and EndTime range. {detail}")


class InvalidPageSize(ServiceError):
    code = "InvalidPageSize.ValueNotSupported"

    def __init__(self) -> None:
        super().__init__("The specified value of PageSize is invalid. It must be 1 to 50.")


class InvalidPageNumber(ServiceError):
    code = "InvalidPageNumber.ValueNotSupported"

    def __init__(self) -> None:
        super().__init__(
            "The specified value of PageNumber is not supported. It must be 1 to 100000."
        )


class DomainOverLimit(ServiceError):
    code = "InvalidDomainName.Overlimit"

    def __init__(self, limit: int):
        super().__init__(f"Too many DomainNames are specified. At most {limit} are allowed.")


class IllegalOperation(ServiceError):
    code = "IllegalOperation"
    http_status = 403

    def __init__(self) -> None:
        super().__init__("Illegal domain, operation is not permitted.")


class IdempotentParameterMismatch(ServiceError):
    code = "IdempotentParameterMismatch"

    def __init__(self) -> None:
        super().__init__(
            "The ClientToken was used before with different parameters in the last 24 hours."
        )


class QuotaExceeded(ServiceError):
    code = "QuotaExceeded.ExportTask"

    def __init__(self, limit: int):
        super().__init__(
            f"You have {limit} unfinished export tasks, the most allowed. "
            "Wait for one to finish or delete one."
        )


class InvalidTaskId(ServiceError):
    code = "InvalidTaskId.Malformed"

    def __init__(self) -> None:
        super().__init__("Specified TaskId is malformed.")


class IncompleteSignature(ServiceError):
    code = "IncompleteSignature"

    def __init__(self, detail: str = "") -> None:
        text = "The request signature does not conform to Aliyun standards."
        super().__init__(f"{text} {detail}".strip())


#: The longest string to sign a SignatureDoesNotMatch repeats; a longer one is cut short.
MAX_ECHOED_STRING_TO_SIGN = 16_384


class SignatureDoesNotMatch(ServiceError):
    code = "SignatureDoesNotMatch"

    def __init__(self, string_to_sign: str) -> None:
        # The legacy SDK splits this message at ':' and compares the tail with its own
        # string to sign, so the wording up to "is:" must stay exactly like this.
        if len(string_to_sign) > MAX_ECHOED_STRING_TO_SIGN:
            string_to_sign = f"{string_to_sign[:MAX_ECHOED_STRING_TO_SIGN]}..."
        super().__init__(
            "Specified signature is not matched with our calculation. "
            f"server string to sign is:{string_to_sign}"
        )


class InvalidSignatureMethod(ServiceError):
    code = "InvalidSignatureMethod"

    def __init__(self) -> None:
        super().__init__("Specified signature method is not valid.")


class AccessKeyNotFound(ServiceError):
    code = "InvalidAccessKeyId.NotFound"
    http_status = 404

    def __init__(self) -> None:
        super().__init__("Specified access key is not found.")


class AccessKeyInactive(ServiceError):
    code = "InvalidAccessKeyId.Inactive"

    def __init__(self) -> None:
        super().__init__("Specified access key is disabled.")


class TimestampFormat(ServiceError):
    code = "InvalidTimeStamp.Format"

    def __init__(self) -> None:
        super().__init__("Specified time stamp or date value is not well formatted.")


class TimestampExpired(ServiceError):
    code = "InvalidTimeStamp.Expired"

    def __init__(self) -> None:
        super().__init__("Specified time stamp or date value is expired.")


class NonceUsed(ServiceError):
    code = "SignatureNonceUsed"

    def __init__(self) -> None:
        super().__init__("Specified signature nonce was used already.")


class ActionNotFound(ServiceError):
    code = "InvalidAction.NotFound"
    http_status = 404

    def __init__(self) -> None:
        super().__init__("Specified api is not found, please check your url and method.")


class InvalidVersion(ServiceError):
    code = "InvalidVersion"

    def __init__(self) -> None:
        super().__init__("Specified parameter Version is not valid. Use 2018-05-10.")


class UnsupportedFormat(ServiceError):
    code = "InvalidParameter.Format"

    def __init__(self) -> None:
        super().__init__("Specified parameter format is not valid. Use JSON or XML.")


class UnsupportedHTTPMethod(ServiceError):
    code = "UnsupportedHTTPMethod"
    http_status = 405

    def __init__(self, method: str) -> None:
        super().__init__(f"Specified HTTP method {method[:16]} is not supported. Use GET or POST.")


class RequestTooLarge(ServiceError):
    code = "RequestTooLarge"
    http_status = 413

    def __init__(self, limit: int) -> None:
        super().__init__(f"The request is larger than {limit} bytes (query and body together).")


class Throttled(ServiceError):
    code = "Throttling.User"

    def __init__(self, retry_after: int) -> None:
        super().__init__("Request was denied due to user flow control.")
        self.retry_after = retry_after


class InternalError(ServiceError):
    code = "InternalError"
    http_status = 500

    def __init__(self) -> None:
        super().__init__(
            "The request processing has failed due to some unknown error, exception or failure."
        )


class ServiceUnavailable(ServiceError):
    """A dependency (database, Redis, object store) cannot be reached; the call may be retried."""

    code = "ServiceUnavailable"
    http_status = 503

    def __init__(self, retry_after: int = 1) -> None:
        super().__init__("The request has failed due to a temporary failure of the server.")
        self.retry_after = retry_after


class EndTimeMismatch(ServiceError):
    code = "InvalidEndTime.Mismatch"

    def __init__(self) -> None:
        super().__init__("Specified EndTime does not match the specified StartTime.")


class InvalidTimeSpan(ServiceError):
    code = "InvalidTimeSpan"

    def __init__(self, days: int) -> None:
        super().__init__(f"The time span exceeds the limit of {days} days.")


class InvalidInterval(ServiceError):
    code = "InvalidIntervalParameter"

    def __init__(self) -> None:
        super().__init__("The specified Interval is invalid. Use 300, 3600 or 86400.")


class InvalidNamedParameter(ServiceError):
    """A usage-query value Alibaba gives its own code: InvalidParameterField/Type/Area."""

    def __init__(self, name: str, detail: str) -> None:
        super().__init__(
            f"The specified {name} is invalid. {detail}", code=f"InvalidParameter{name}"
        )


class DomainNotFound(ServiceError):
    """A foreign, unknown or malformed domain: one answer, so nothing hints at other owners."""

    code = "InvalidDomain.NotFound"
    http_status = 404

    def __init__(self) -> None:
        super().__init__("The domain provided does not belong to you.")
