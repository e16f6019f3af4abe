"""After a deployment: does the collector answer through the site's own address?

A stack can be complete and still serve nothing: in the China regions API Gateway answers 403
to every unauthenticated call until the account is on its ICP allow-list for that region (and
CloudFront serves only an ICP-filed domain); the domain may not point at the distribution yet;
a certificate may not match. `manyi deploy` calls `GET /api/health` the way a phone would and
says, in Chinese for the office's operator, what to do when it fails.
"""

from __future__ import annotations

import json
import socket
import ssl
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping
from typing import NamedTuple
from urllib.parse import urlsplit

ATTEMPTS = 3
PAUSE_SECONDS = 10.0
TIMEOUT_SECONDS = 10.0
GUIDE = "docs/aws-china.md"


class HealthCheck(NamedTuple):
    ok: bool
    lines: tuple[str, ...]  # Chinese, for the operator


class Answer(NamedTuple):
    status: int
    body: bytes


Fetch = Callable[[str, float], Answer]


def fetch(url: str, timeout: float) -> Answer:
    """GET `url`; an HTTP error status is an answer, a network failure raises OSError."""
    request = urllib.request.Request(url, headers={"User-Agent": "manyi-deploy"})  # noqa: S310
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
            return Answer(int(response.status), response.read())
    except urllib.error.HTTPError as error:
        return Answer(int(error.code), error.read())


def check_health(
    url: str,
    expected_version: str,
    *,
    china: bool,
    outputs: Mapping[str, str],
    stack: str,
    get: Fetch = fetch,
    attempts: int = ATTEMPTS,
    sleep: Callable[[float], None] = time.sleep,
) -> HealthCheck:
    """Ask `url` a few times (a fresh distribution may need a moment); judge the last answer."""
    failure = HealthCheck(False, ())
    for attempt in range(attempts):
        if attempt:
            sleep(PAUSE_SECONDS)
        try:
            answer = get(url, TIMEOUT_SECONDS)
        except (OSError, ValueError) as error:
            failure = HealthCheck(False, _unreachable(url, error, outputs))
            continue
        if answer.status == 200:
            return _answered(url, answer.body, expected_version)
        failure = HealthCheck(False, _refused(url, answer.status, china, outputs, stack))
    return failure


def _answered(url: str, body: bytes, expected: str) -> HealthCheck:
    try:
        version = json.loads(body).get("version")
    except (ValueError, AttributeError):
        version = None
    if version == expected:
        return HealthCheck(True, (f"健康检查通过：{url} 正常应答，问卷版本 {version}。",))
    return HealthCheck(
        False,
        (
            f"健康检查：{url} 有应答，但问卷版本是 {version}，不是当前的 {expected}。",
            "请先运行 manyi build，再运行 manyi deploy，让采集服务带上当前版本。",
        ),
    )


def _refused(
    url: str, status: int, china: bool, outputs: Mapping[str, str], stack: str
) -> tuple[str, ...]:
    host = urlsplit(url).hostname or url
    if status == 403 and china:
        return (
            f"健康检查失败：{url} 返回 403。",
            "在中国区域，API Gateway 要等本账号加入该区域的 ICP 备案白名单后才响应"
            "未经身份验证的请求；在此之前，经 CloudFront 的请求也都是 403。请这样处理：",
            f"1. 确认域名 {host} 已完成 ICP 备案（CloudFront 也只为已备案的域名提供服务）；",
            "2. 向 AWS 中国区域的运营方（北京：光环新网；宁夏：西云数据）提交工单，提供账号 ID、"
            "ICP 备案号和区域，申请为本账号开放 API Gateway（加入白名单），每个区域分别申请；",
            f"3. 开通后运行 curl {url} 复查，应返回 200。",
            f"详见 {GUIDE}。",
        )
    if status == 403:
        return (
            f"健康检查失败：{url} 返回 403。",
            "请确认 CloudFront 分配已部署完成、域名在分配的备用域名（Aliases）中且证书与之匹配，"
            f"然后运行 curl {url} 复查。",
        )
    if status >= 500:
        return (
            f"健康检查失败：{url} 返回 {status}，采集服务出错。",
            f"请查看 CloudWatch 日志组 /aws/lambda/{stack}-collector 中的错误，"
            "修复后重新运行 manyi deploy。",
        )
    target = outputs.get("SiteUrl", "")
    return (
        f"健康检查失败：{url} 返回 {status}。",
        f"请确认域名 {host} 指向本次部署（CloudFront 分配 {target}），然后运行 curl {url} 复查。",
    )


def _unreachable(url: str, error: Exception, outputs: Mapping[str, str]) -> tuple[str, ...]:
    host = urlsplit(url).hostname or url
    reason = getattr(error, "reason", error)
    target = (urlsplit(outputs["SiteUrl"]).hostname or "") if "SiteUrl" in outputs else ""
    if isinstance(reason, socket.gaierror):
        where = f"（CNAME 记录：{host} → {target}）" if target else ""
        return (
            f"健康检查失败：无法解析域名 {host}。",
            f"请在域名的 DNS 中把它指向本次部署{where}，生效后运行 curl {url} 复查。",
        )
    if isinstance(reason, ssl.SSLError | ssl.CertificateError):
        return (
            f"健康检查失败：{host} 的 HTTPS 证书不对（{reason}）。",
            "请确认上传到 IAM（中国区域）或 ACM（us-east-1）的证书包含这个域名、未过期，"
            "并且部署时用的是它的 ID。",
        )
    return (
        f"健康检查失败：连不上 {url}（{reason}）。",
        f"请稍后运行 curl {url} 复查；若仍失败，检查域名解析和网络。",
    )
