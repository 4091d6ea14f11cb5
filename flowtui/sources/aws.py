"""The AWS connection (one botocore session, its logs client, others on first use) and errors.

Every failure a user can meet reaches the caller as a `SourceError` whose `.message` is one line
that says what went wrong and what to do. Messages never contain credentials: they are built
from error codes, and any AWS text passed through is scrubbed of key ids and secrets.
"""

from __future__ import annotations

import os
import re
import threading
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, cast
from urllib.parse import urlsplit

import botocore.session
from botocore.config import Config
from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    CredentialRetrievalError,
    HTTPClientError,
    NoCredentialsError,
    NoRegionError,
    ParamValidationError,
    PartialCredentialsError,
    ProfileNotFound,
    SSOError,
    TokenRetrievalError,
)
from botocore.exceptions import ConnectionError as BotoConnectionError

if TYPE_CHECKING:
    from mypy_boto3_ec2 import EC2Client
    from mypy_boto3_logs import CloudWatchLogsClient


class SourceError(Exception):
    """A failure to show the user as one line (`.message`); never a traceback."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class ConfigurationError(SourceError):
    """Unknown profile, no region, or a malformed setting."""


class MissingCredentialsError(SourceError):
    """No credentials anywhere in the standard chain."""


class ExpiredCredentialsError(SourceError):
    """An expired session token or SSO login."""


class InvalidCredentialsError(SourceError):
    """Credentials AWS does not accept (wrong, revoked, or for another partition)."""


class AccessDeniedError(SourceError):
    """The caller lacks an IAM permission; `.action` names it (e.g. "logs:FilterLogEvents")."""

    def __init__(self, message: str, action: str) -> None:
        super().__init__(message)
        self.action = action


class NotFoundError(SourceError):
    """The log group (or stream) does not exist in this account and region."""


class EndpointUnreachableError(SourceError):
    """The endpoint cannot be reached; retrying later may succeed."""

    def __init__(self, message: str, url: str) -> None:
        super().__init__(message)
        self.url = url


class ServiceUnavailableError(SourceError):
    """The service kept answering with server errors; retrying later may succeed."""


class RequestFailedError(SourceError):
    """Any other rejected request."""


class OperationCancelled(Exception):  # noqa: N818 - a signal, not an error to report
    """The caller's cancel event was set while waiting or between pages."""


@dataclass(frozen=True, slots=True)
class ErrorContext:
    """What error messages may mention: never credentials, only where we were talking to."""

    profile: str | None = None
    region: str | None = None
    endpoint_url: str | None = None

    @property
    def profile_label(self) -> str:
        return self.profile or os.environ.get("AWS_PROFILE") or "default"


@dataclass(frozen=True, slots=True)
class ConnectionOptions:
    profile: str | None = None
    region: str | None = None
    #: Applies to both logs and ec2; None keeps botocore's own resolution, which includes the
    #: per-service AWS_ENDPOINT_URL_CLOUDWATCH_LOGS (alias AWS_ENDPOINT_URL_LOGS) and
    #: AWS_ENDPOINT_URL_EC2 variables, for VPC endpoints.
    endpoint_url: str | None = None
    connect_timeout: float = 5.0
    read_timeout: float = 30.0


@dataclass(eq=False)
class AwsConnection:
    """A resolved session with its clients; compared and hashed by identity."""

    session: botocore.session.Session
    logs: CloudWatchLogsClient
    region: str
    profile: str | None
    #: The logs endpoint actually in use (after botocore's resolution).
    endpoint_url: str
    #: How other services' clients are made: ConnectionOptions' endpoint, timeouts and config.
    options: ConnectionOptions = field(default_factory=ConnectionOptions)
    _clients: dict[str, Any] = field(default_factory=dict, repr=False)
    _clients_lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @property
    def ec2(self) -> EC2Client:
        """The EC2 client, made on first use: its model costs ~65 ms to load, and a lookup
        thread can make it while the logs client is already at work."""
        return cast("EC2Client", self.client("ec2"))

    def client(self, service: str) -> Any:
        """The connection's client of `service` (one per connection; botocore sessions are
        not thread-safe, so clients are made under a lock). Uses the connection's endpoint
        when it is a custom one; raises SourceError when the client cannot be made."""
        with self._clients_lock:
            made = self._clients.get(service)
            if made is None:
                made = self._clients[service] = self._make_client(service)
            return made

    def _make_client(self, service: str) -> Any:
        custom = self.options.endpoint_url
        try:
            return self.session.create_client(
                service,
                endpoint_url=custom,
                region_name=self.region,
                config=_config(self.options, inject_host_prefix=custom is None),
            )
        except BotoCoreError as exc:
            raise translate_error(exc, "connect", context=self.error_context) from None

    @property
    def error_context(self) -> ErrorContext:
        return ErrorContext(self.profile, self.region, self.endpoint_url)

    @property
    def limiter_key(self) -> str:
        """One key per account and region; the profile stands for the account (no STS call)."""
        return f"{self.profile or '(default chain)'}|{self.region}|{self.endpoint_url}"


_AWS_HOST = re.compile(
    r"^(?P<service>[a-z0-9-]+?)(-fips)?\.[a-z0-9-]+\."
    r"(amazonaws\.com(\.cn)?|api\.aws|c2s\.ic\.gov|sc2s\.sgov\.gov)$"
)


def is_custom_endpoint(url: str, service: str) -> bool:
    """True unless `url` is the service's standard regional AWS endpoint."""
    match = _AWS_HOST.match(urlsplit(url).hostname or "")
    return match is None or match.group("service") != service


def connect(options: ConnectionOptions) -> AwsConnection:
    """Open a session from the standard credential chain and resolve credentials now.

    Resolving eagerly means an MFA prompt or an SSO hint appears in the plain terminal before
    any UI starts. No call is made to STS.
    """
    context = ErrorContext(options.profile, options.region, options.endpoint_url)
    try:
        # botocore's session, not boto3's: boto3 adds nothing flowtui uses, and importing it
        # (with s3transfer) costs every command ~40 ms of start-up.
        session = botocore.session.Session(profile=options.profile)
        if options.region:
            session.set_config_variable("region", options.region)
        _resolve_credentials(session, context)
        logs_url = options.endpoint_url or _logs_endpoint_alias()
        logs = session.create_client(
            "logs",
            endpoint_url=logs_url,
            config=_config(options, inject_host_prefix=logs_url is None),
        )
        if logs_url is None and is_custom_endpoint(logs.meta.endpoint_url, "logs"):
            # Set through AWS_ENDPOINT_URL_CLOUDWATCH_LOGS or the profile: StartLiveTail's
            # "streaming-" host prefix would break such an endpoint.
            logs = session.create_client("logs", config=_config(options, inject_host_prefix=False))
    except BotoCoreError as exc:
        raise translate_error(exc, "connect", context=context) from None
    return AwsConnection(
        session=session,
        # botocore's create_client is typed BaseClient; this is the logs client asked for.
        logs=cast("CloudWatchLogsClient", logs),
        region=logs.meta.region_name,
        profile=options.profile,
        endpoint_url=logs.meta.endpoint_url,
        options=options,
    )


def _logs_endpoint_alias() -> str | None:
    """AWS_ENDPOINT_URL_LOGS, a spelling users expect; botocore itself reads the service id's
    AWS_ENDPOINT_URL_CLOUDWATCH_LOGS (as it reads AWS_ENDPOINT_URL_EC2 for ec2)."""
    if os.environ.get("AWS_ENDPOINT_URL_CLOUDWATCH_LOGS"):
        return None
    return os.environ.get("AWS_ENDPOINT_URL_LOGS") or None


def _resolve_credentials(session: botocore.session.Session, context: ErrorContext) -> None:
    credentials = session.get_credentials()
    if credentials is None:
        raise MissingCredentialsError(_no_credentials_message(context))
    # Refreshable credentials (SSO, assume-role with MFA) are fetched here, not mid-UI.
    credentials.get_frozen_credentials()


def _config(options: ConnectionOptions, *, inject_host_prefix: bool) -> Config:
    return Config(
        connect_timeout=options.connect_timeout,
        read_timeout=options.read_timeout,
        # flowtui retries data calls itself (visible, cancellable, shared budget).
        retries={"total_max_attempts": 1, "mode": "standard"},
        inject_host_prefix=inject_host_prefix,
        user_agent_extra="flowtui",
    )


# --- error translation --------------------------------------------------------------------

_EXPIRED_CODES = frozenset({"ExpiredToken", "ExpiredTokenException", "RequestExpired"})
_INVALID_CREDENTIAL_CODES = frozenset(
    {
        "InvalidClientTokenId",
        "UnrecognizedClientException",
        "AuthFailure",
        "SignatureDoesNotMatch",
        "IncompleteSignature",
        "InvalidSignatureException",
    }
)
_ACCESS_DENIED_CODES = frozenset(
    {"AccessDeniedException", "AccessDenied", "UnauthorizedOperation", "UnauthorizedAccess"}
)
_NOT_FOUND_CODES = frozenset({"ResourceNotFoundException"})

_KEY_ID = re.compile(r"\b(AKIA|ASIA|AIDA|AROA)[A-Z0-9]{12,}\b")
_SECRET_LIKE = re.compile(r"\b[A-Za-z0-9/+=]{40,}\b")
_RESOURCE_IN_MESSAGE = re.compile(r"on resource: (\S+)")


def scrub(text: str) -> str:
    """Remove anything that looks like an access key id or a secret from AWS-provided text."""
    return _SECRET_LIKE.sub("[redacted]", _KEY_ID.sub("[key id]", text))


def error_code(exc: BaseException) -> str:
    """The AWS error code of a ClientError, or '' for anything else."""
    if isinstance(exc, ClientError):
        return str(exc.response.get("Error", {}).get("Code", ""))
    return ""


def http_status(exc: BaseException) -> int:
    if isinstance(exc, ClientError):
        return int(exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0))
    return 0


def translate_error(
    exc: BaseException,
    action: str,
    *,
    resource: str | None = None,
    context: ErrorContext | None = None,
) -> SourceError:
    """Turn a boto3/botocore exception raised by `action` (an IAM action name) into one line."""
    context = context or ErrorContext()
    if isinstance(exc, SourceError):
        return exc
    if isinstance(exc, ClientError):
        return _translate_client_error(exc, action, resource, context)
    if isinstance(exc, NoCredentialsError | PartialCredentialsError):
        return MissingCredentialsError(_no_credentials_message(context))
    if isinstance(exc, SSOError | TokenRetrievalError):
        return ExpiredCredentialsError(
            _expired_message(context, "no valid SSO login (missing or expired)")
        )
    if isinstance(exc, CredentialRetrievalError):
        return InvalidCredentialsError(f"could not obtain credentials: {scrub(str(exc))}")
    if isinstance(exc, ProfileNotFound):
        return ConfigurationError(
            f"AWS profile '{context.profile_label}' not found in ~/.aws/config or "
            "~/.aws/credentials (list them with `aws configure list-profiles`)"
        )
    if isinstance(exc, NoRegionError):
        return ConfigurationError(
            "no AWS region: pass --region, set AWS_REGION, or add `region` to the profile"
        )
    if isinstance(exc, HTTPClientError | BotoConnectionError):
        return unreachable_error(exc, context)
    if isinstance(exc, ParamValidationError):
        return RequestFailedError(f"{action}: invalid request: {scrub(str(exc))}")
    return RequestFailedError(f"{action} failed: {type(exc).__name__}: {scrub(str(exc))}")


def unreachable_error(exc: BaseException, context: ErrorContext) -> EndpointUnreachableError:
    url = ""
    if isinstance(exc, BotoCoreError):
        url = str(exc.kwargs.get("endpoint_url", ""))
    url = url or context.endpoint_url or "the AWS endpoint"
    return EndpointUnreachableError(f"endpoint unreachable: {url} ({type(exc).__name__})", url)


def _translate_client_error(
    exc: ClientError, action: str, resource: str | None, context: ErrorContext
) -> SourceError:
    code = error_code(exc)
    aws_message = scrub(str(exc.response.get("Error", {}).get("Message", "")))
    if code in _EXPIRED_CODES:
        return ExpiredCredentialsError(
            _expired_message(context, "the AWS session token has expired")
        )
    if code in _INVALID_CREDENTIAL_CODES:
        return InvalidCredentialsError(
            f"AWS rejected the credentials of profile '{context.profile_label}' ({code}): "
            "check the keys, or log in again with `aws sso login`"
        )
    if code in _ACCESS_DENIED_CODES:
        target = resource or _resource_from_message(aws_message)
        where = f" on {target}" if target else ""
        return AccessDeniedError(f"missing permission {action}{where}", action)
    if code in _NOT_FOUND_CODES:
        region = f" in region {context.region}" if context.region else ""
        what = resource or aws_message.rstrip(".") or "the resource"
        return NotFoundError(f"{what} does not exist{region}")
    detail = f"{code}: {aws_message}" if aws_message else code
    return RequestFailedError(f"{action} failed: {detail}")


def _resource_from_message(message: str) -> str | None:
    match = _RESOURCE_IN_MESSAGE.search(message)
    return match.group(1).rstrip(".,") if match else None


def _no_credentials_message(context: ErrorContext) -> str:
    if context.profile:
        return (
            f"no AWS credentials for profile '{context.profile}': run "
            f"`aws sso login --profile {context.profile}` or `aws configure --profile "
            f"{context.profile}`"
        )
    return (
        "no AWS credentials found: set AWS_PROFILE or pass --profile, run `aws configure`, "
        "or run on a host with an instance role"
    )


def _expired_message(context: ErrorContext, what: str) -> str:
    profile = context.profile_label
    return (
        f"{what}: refresh it with `aws sso login --profile {profile}` "
        "(add --use-device-code on a host without a browser)"
    )
