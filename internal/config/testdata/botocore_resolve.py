#!/usr/bin/env python3
"""Resolve AWS shared configuration with botocore, without network.

Reads a JSON list of cases on stdin: {"name", "env": {...}, "profile", "region"}
(env replaces os.environ for the case), and prints a JSON list of results:

  {"name", "profile", "region", "credentials": {...}, "endpoints": {...},
   "error": KIND}

Credentials are selected by botocore's own credential resolver: providers are
loaded, never refreshed (assume-role, web identity and SSO credentials are
deferred), credential_process is not run (its command is reported), and the
container and instance metadata providers are not consulted. Endpoints are the
*configured* endpoint URLs botocore computes for each client (None when none
is configured). Errors are reported as a kind and stop the resolution, like
the AWS CLI stops at the first one.
"""
import hashlib
import json
import os
import sys

import botocore.args
import botocore.credentials
import botocore.exceptions
import botocore.session
import botocore.utils

SERVICES = {"s3": "s3", "sts": "sts", "sso": "sso", "sso_oidc": "sso-oidc"}

_process_commands = []


def _fake_process(self, credential_process):
    _process_commands.append(credential_process)
    return {"access_key": None, "secret_key": None, "token": None, "expiry_time": None}


botocore.credentials.ProcessProvider._retrieve_credentials_using = _fake_process


def _container_load(self):
    # Selected (when its variables are set) but never fetched.
    if any(v in os.environ for v in ("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
                                     "AWS_CONTAINER_CREDENTIALS_FULL_URI")):
        return botocore.credentials.Credentials("container", "container", method=self.METHOD)
    return None


def _imds_load(self):
    if os.environ.get("AWS_EC2_METADATA_DISABLED", "").lower() == "true":
        return None
    return botocore.credentials.Credentials("imds", "imds", method=self.METHOD)


botocore.credentials.ContainerProvider.load = _container_load
botocore.credentials.InstanceMetadataProvider.load = _imds_load

_configured = []
_orig_compute = botocore.args.ClientArgsCreator._compute_configured_endpoint_url


def _record_compute(self, client_config, endpoint_url):
    v = _orig_compute(self, client_config, endpoint_url)
    _configured.append(v)
    return v


botocore.args.ClientArgsCreator._compute_configured_endpoint_url = _record_compute


def error_kind(e):
    kinds = {
        botocore.exceptions.ConfigParseError: "parse",
        botocore.exceptions.ProfileNotFound: "profile_not_found",
        botocore.exceptions.InvalidRegionError: "invalid_region",
        botocore.exceptions.InfiniteLoopConfigError: "source_profile_loop",
        botocore.exceptions.PartialCredentialsError: "partial_credentials",
        botocore.exceptions.CredentialRetrievalError: "credential_retrieval",
        botocore.exceptions.InvalidConfigError: "invalid_config",
    }
    for cls, kind in kinds.items():
        if isinstance(e, cls):
            return kind
    return type(e).__name__


def secret_digest(s):
    if s is None:
        return None
    return hashlib.sha256(s.encode()).hexdigest()[:12]


def describe(creds):
    """The credential source, recursively for role chains."""
    if creds is None:
        return None
    out = {"method": creds.method}
    fetch = getattr(creds, "_refresh_using", None)
    if hasattr(fetch, "_refresh"):  # create_mfa_serial_refresher's wrapper
        fetch = fetch._refresh
    fetcher = getattr(fetch, "__self__", None)
    if creds.method == "custom-process":
        out["process"] = _process_commands.pop(0) if _process_commands else None
        return out
    if creds.method in ("container-role", "iam-role"):
        return out
    if creds.method in ("env", "shared-credentials-file", "config-file"):
        out["access_key"] = creds.access_key
        out["secret"] = secret_digest(creds.secret_key)
        out["token"] = bool(creds.token)
        return out
    if creds.method == "sso" and fetcher is not None:
        out["sso"] = {
            "session": fetcher._sso_session_name,
            "start_url": fetcher._start_url,
            "region": fetcher._sso_region,
            "account_id": fetcher._account_id,
            "role_name": fetcher._role_name,
        }
        return out
    if creds.method in ("assume-role", "assume-role-with-web-identity") and fetcher is not None:
        out["role_arn"] = fetcher._role_arn
        kw = dict(getattr(fetcher, "_assume_kwargs", {}) or {})
        if not getattr(fetcher, "_using_default_session_name", True):
            out["role_session_name"] = kw.get("RoleSessionName")
        for k, name in (("ExternalId", "external_id"), ("SerialNumber", "mfa_serial"),
                        ("DurationSeconds", "duration_seconds")):
            if k in kw:
                out[name] = kw[k]
        if creds.method == "assume-role":
            out["source"] = describe(fetcher._source_credentials)
        else:
            loader = fetcher._web_identity_token_loader
            out["web_identity_token_file"] = getattr(loader, "_web_identity_token_path", None)
    return out


def resolve(case):
    os.environ.clear()
    os.environ.update(case.get("env", {}))
    _process_commands.clear()
    res = {"name": case["name"]}
    try:
        session = botocore.session.Session()
        if case.get("profile"):
            session.set_config_variable("profile", case["profile"])
        if case.get("region"):
            session.set_config_variable("region", case["region"])
        session.get_scoped_config()  # parse errors, a missing profile
        res["profile"] = session.get_config_variable("profile") or "default"
        region = session.get_config_variable("region")
        res["region"] = region
        if region is not None:
            botocore.utils.validate_region_name(region)
        creds = session.get_credentials()
        res["credentials"] = describe(creds)
        endpoints = {}
        for key, svc in SERVICES.items():
            _configured.clear()
            session.create_client(svc, region_name=region or "us-east-1",
                                  aws_access_key_id="AKIDUMMY", aws_secret_access_key="dummy")
            if _configured and _configured[-1] is not None:
                endpoints[key] = _configured[-1]
        res["endpoints"] = endpoints
    except Exception as e:  # noqa: BLE001 - the kind is the result
        res["error"] = error_kind(e)
        res["message"] = str(e)
    return res


def main():
    cases = json.load(sys.stdin)
    json.dump([resolve(c) for c in cases], sys.stdout, indent=1)


if __name__ == "__main__":
    main()
