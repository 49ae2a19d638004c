"""Fetching from the government website as a good citizen of the network, and never elsewhere.

Every address — the one a unit typed and every redirect on the way — is admitted before it is
requested: its host must be on the office's allow-list of government domains, and every address
it resolves to must be public unless ``allow_private`` (tests and the demo) says otherwise. The
request then goes to the very address that was checked (the host name travels in the Host
header and TLS's SNI), so a name that resolves to a public address when checked and to
127.0.0.1 a moment later reaches nothing it should not. Behind a proxy the proxy resolves; the
host is still checked against the allow-list and, where it resolves here, its addresses.

Per host: at most ``per_host`` requests at once, ``delay`` seconds between the starts of two,
``Retry-After`` honoured (the host is left alone until then); across hosts ``global_limit``.
Connect and read timeouts, a deadline for the whole response (a page that trickles), a size cap.
Fetching never raises: a ``Fetched`` says what happened, in Chinese for the office.
"""
from __future__ import annotations

import asyncio
import ipaddress
import socket
import time
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime
from urllib.parse import urljoin, urlsplit, urlunsplit

import httpx

REDIRECTS = (301, 302, 303, 307, 308)
# A link check asks with HEAD; a server that does not answer HEAD is asked again with GET.
HEAD_REFUSED = (400, 403, 404, 405, 500, 501)
DEFAULT_USER_AGENT = "ZhengwuGongkaiXuncha/1.0 (government information disclosure office; website inspection)"


@dataclass
class CrawlSettings:
    allowed_domains: tuple[str, ...] = ("gov.cn",)
    allow_private: bool = False
    per_host: int = 2
    delay: float = 0.5
    global_limit: int = 8
    connect_timeout: float = 5.0
    read_timeout: float = 15.0
    total_timeout: float = 30.0
    max_bytes: int = 10 * 1024 * 1024
    max_redirects: int = 5
    user_agent: str = DEFAULT_USER_AGENT
    proxy: str | None = None
    retry_after_max: float = 60.0
    resolve: dict[str, str] = field(default_factory=dict)   # host -> address, like curl --resolve


@dataclass
class Fetched:
    """What one fetch found. ``error`` is a short code (refused, dns, connect, timeout, too_large,
    redirects, http, busy) and ``message`` says it in Chinese; ``status`` is the last HTTP status."""

    url: str
    final_url: str | None = None
    status: int | None = None
    chain: list = field(default_factory=list)    # [[url, status], ...] including the last hop
    headers: dict = field(default_factory=dict)
    body: bytes = b""
    error: str | None = None
    message: str | None = None
    elapsed: float = 0.0
    retry_after: float | None = None

    @property
    def ok(self) -> bool:
        return self.error is None and self.status is not None and 200 <= self.status < 300

    @property
    def content_type(self) -> str:
        return (self.headers.get("content-type") or "").split(";")[0].strip().lower()

    @property
    def charset(self) -> str | None:
        for part in (self.headers.get("content-type") or "").split(";")[1:]:
            name, _, value = part.strip().partition("=")
            if name.strip().lower() == "charset" and value.strip():
                return value.strip().strip('"').lower()
        return None

    def problem(self) -> str | None:
        """Why the address does not answer, in Chinese; None when it does (2xx)."""
        if self.error:
            return self.message
        if self.status is not None and not 200 <= self.status < 300:
            return f"网址无法打开（HTTP {self.status}）"
        return None


class Refused(Exception):
    """An address the crawler will not fetch (off the allow-list, private, malformed)."""

    code = "refused"


class Unresolvable(Refused):
    """The host name does not resolve (the site or its domain is gone)."""

    code = "dns"


def host_allowed(host: str, domains) -> bool:
    """The host is one of ``domains`` or below one of them (``gov.cn`` admits ``www.a.gov.cn``)."""
    host = host.lower().rstrip(".")
    for domain in domains:
        domain = domain.lower().strip().lstrip(".").rstrip(".")
        if domain and (host == domain or host.endswith("." + domain)):
            return True
    return False


def is_public(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%")[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    return ip.is_global and not (ip.is_multicast or ip.is_reserved)


def split_url(url: str) -> tuple[str, str, int]:
    """(scheme, host, port) of an http(s) address; Refused for anything else."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise Refused("网址格式不正确") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise Refused("只巡查 http:// 或 https:// 开头的网址")
    if parts.username or parts.password:
        raise Refused("网址中不能含有用户名或密码")
    return parts.scheme, parts.hostname.lower(), port or (443 if parts.scheme == "https" else 80)


class _Host:
    def __init__(self, per_host: int):
        self.slots = asyncio.Semaphore(max(1, per_host))
        self.next_start = 0.0      # monotonic: no request starts before this (delay, Retry-After)


class Crawler:
    """One crawl: an httpx client, the per-host gates and the settings. Use ``async with``."""

    def __init__(self, settings: CrawlSettings, transport: httpx.AsyncBaseTransport | None = None):
        self.settings = settings
        self._hosts: dict[str, _Host] = {}
        # Link checks of this crawl by address: the header and footer links every column page of
        # a site repeats are fetched once, not once per column.
        self._checked: dict[str, asyncio.Future] = {}
        self._all = asyncio.Semaphore(max(1, settings.global_limit))
        timeout = httpx.Timeout(connect=settings.connect_timeout, read=settings.read_timeout,
                                write=settings.read_timeout, pool=None)
        limits = httpx.Limits(max_connections=max(1, settings.global_limit),
                              max_keepalive_connections=max(1, settings.global_limit))
        self._client = httpx.AsyncClient(timeout=timeout, limits=limits, follow_redirects=False,
                                         proxy=settings.proxy or None, transport=transport, trust_env=False,
                                         headers={"User-Agent": settings.user_agent,
                                                  "Accept": "text/html,application/xhtml+xml,*/*;q=0.8",
                                                  "Accept-Language": "zh-CN,zh;q=0.9",
                                                  "Accept-Encoding": "gzip, deflate"})

    async def __aenter__(self):
        return self

    async def __aexit__(self, *exc):
        await self._client.aclose()

    # --- admission ----------------------------------------------------------------------------

    async def admit(self, url: str) -> tuple[str, str | None]:
        """Check ``url`` and return (host key, the address to connect to, or None behind a proxy).
        Raises Refused with the reason in Chinese."""
        scheme, host, port = split_url(url)
        s = self.settings
        if not host_allowed(host, s.allowed_domains):
            raise Refused(f"“{host}”不在允许巡查的政府网站域名范围内")
        addresses = await self._resolve(host, port)
        if not addresses:
            if s.proxy:
                return f"{host}:{port}", None
            raise Unresolvable(f"域名“{host}”无法解析（网站或域名已不存在）")
        for address in addresses:
            if not s.allow_private and not is_public(address):
                raise Refused(f"“{host}”指向内网或本机地址（{address}），已拒绝访问")
        return f"{host}:{port}", (None if s.proxy else addresses[0])

    async def _resolve(self, host: str, port: int) -> list[str]:
        if host in self.settings.resolve:
            return [self.settings.resolve[host]]
        try:
            ipaddress.ip_address(host.strip("[]"))
            return [host.strip("[]")]
        except ValueError:
            pass
        try:
            infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except (socket.gaierror, UnicodeError, OSError):
            return []
        return list(dict.fromkeys(info[4][0] for info in infos))

    # --- politeness ---------------------------------------------------------------------------

    def _host(self, key: str) -> _Host:
        if key not in self._hosts:
            self._hosts[key] = _Host(self.settings.per_host)
        return self._hosts[key]

    async def _turn(self, gate: _Host) -> None:
        """Wait for this host's next start time and book the one after it."""
        now = time.monotonic()
        start = max(now, gate.next_start)
        gate.next_start = start + self.settings.delay
        if start > now:
            await asyncio.sleep(start - now)

    # --- fetching -----------------------------------------------------------------------------

    async def fetch(self, url: str, *, body: bool = True) -> Fetched:
        """GET ``url`` following redirects (each hop admitted anew). ``body=False`` is a link
        check: HEAD (GET where the server refuses HEAD), and an address already checked in this
        crawl is not fetched again."""
        if body:
            return await self._fetch(url, body=True)
        if url not in self._checked:
            self._checked[url] = asyncio.ensure_future(self._fetch(url, body=False))
        return await asyncio.shield(self._checked[url])

    async def _fetch(self, url: str, *, body: bool) -> Fetched:
        started = time.monotonic()
        result = Fetched(url)
        current = url
        for _ in range(self.settings.max_redirects + 1):
            try:
                key, address = await self.admit(current)
            except Refused as exc:
                return self._fail(result, started, exc.code, str(exc), current)
            status, location = await self._one(result, current, key, address, body)
            if status is None:
                result.elapsed = time.monotonic() - started
                return result
            if status in REDIRECTS and location:
                result.chain.append([current, status])
                current = urljoin(current, location)
                continue
            result.chain.append([current, status])
            result.final_url, result.status = current, status
            result.elapsed = time.monotonic() - started
            return result
        return self._fail(result, started, "redirects", f"重定向次数过多（超过{self.settings.max_redirects}次）", current)

    def _fail(self, result: Fetched, started: float, code: str, message: str, at: str) -> Fetched:
        result.error, result.message, result.final_url = code, message, at
        result.elapsed = time.monotonic() - started
        return result

    async def _one(self, result: Fetched, url: str, key: str, address: str | None, body: bool):
        """One request (retried once after a short Retry-After). Returns (status, Location) or
        (None, None) when it failed (``result`` then says why)."""
        gate = self._host(key)
        for attempt in (1, 2):
            async with self._all, gate.slots:
                await self._turn(gate)
                outcome = await self._request(result, url, address, body, "GET" if body else "HEAD")
                if outcome is not None and not body and outcome[0] in HEAD_REFUSED:
                    outcome = await self._request(result, url, address, body, "GET")   # a server without HEAD
            if outcome is None:
                return None, None
            status, headers = outcome
            wait = _retry_after(headers.get("retry-after")) if status in (429, 503) else None
            if wait is None:
                return status, headers.get("location")
            gate.next_start = max(gate.next_start, time.monotonic() + wait)
            if attempt == 2 or wait > self.settings.retry_after_max:
                result.retry_after = wait
                result.chain.append([url, status])
                result.status, result.final_url = status, url
                result.error, result.message = "busy", f"网站要求稍后再访问（HTTP {status}，Retry-After {int(wait)} 秒）"
                return None, None
        return None, None  # pragma: no cover - the loop always returns

    async def _request(self, result: Fetched, url: str, address: str | None, body: bool, method: str):
        s = self.settings
        target, extensions, headers = url, {}, {}
        if address is not None:
            parts = urlsplit(url)
            literal = f"[{address}]" if ":" in address else address
            netloc = literal + (f":{parts.port}" if parts.port else "")
            target = urlunsplit((parts.scheme, netloc, parts.path or "/", parts.query, ""))
            headers["Host"] = parts.netloc.rsplit("@", 1)[-1]
            if parts.scheme == "https":
                extensions["sni_hostname"] = parts.hostname
        try:
            async with asyncio.timeout(s.total_timeout):
                request = self._client.build_request(method, target, headers=headers, extensions=extensions)
                response = await self._client.send(request, stream=True)
                try:
                    status, response_headers = response.status_code, {k.lower(): v for k, v in response.headers.items()}
                    if body and status not in REDIRECTS and 200 <= status < 300:
                        data = await self._read(response, result)
                        if data is None:
                            return None
                        result.body = data
                    elif not body and method == "GET":
                        await _drain(response)   # a small page read to its end keeps the connection
                    result.headers = response_headers
                    return status, response_headers
                finally:
                    await response.aclose()
        except TimeoutError:
            result.error, result.message = "timeout", f"网页响应超时（超过{s.total_timeout:g}秒未完成）"
        except httpx.TimeoutException:
            result.error, result.message = "timeout", "网页响应超时"
        except httpx.ProxyError:
            result.error, result.message = "connect", "代理服务器连接失败"
        except httpx.ConnectError:
            result.error, result.message = "connect", "网站无法连接（连接被拒绝或网络不通）"
        except (httpx.HTTPError, OSError, ValueError) as exc:
            result.error, result.message = "connect", f"网站连接出错（{type(exc).__name__}）"
        result.final_url = url
        return None

    async def _read(self, response: httpx.Response, result: Fetched) -> bytes | None:
        cap = self.settings.max_bytes
        declared = response.headers.get("content-length", "")
        if declared.isascii() and declared.isdigit() and int(declared) > cap:
            result.error, result.message = "too_large", f"文件超过巡查大小上限（{_mb(int(declared))}，上限{_mb(cap)}）"
            return None
        chunks, size = [], 0
        async for chunk in response.aiter_raw():
            size += len(chunk)
            if size > cap:
                result.error, result.message = "too_large", f"文件超过巡查大小上限（上限{_mb(cap)}）"
                return None
            chunks.append(chunk)
        data = b"".join(chunks)
        encoding = (response.headers.get("content-encoding") or "").lower()
        if encoding in ("gzip", "deflate", "br", "zstd"):
            data = _decompress(data, encoding, cap)
            if data is None:
                result.error, result.message = "too_large", f"文件解压后超过巡查大小上限（上限{_mb(cap)}）"
        return data


DRAIN_LIMIT = 256 * 1024


async def _drain(response: httpx.Response) -> None:
    """Read and drop up to DRAIN_LIMIT bytes of a body nobody needs (a link check), so that the
    connection can serve the next request; a larger body is cut off with its connection."""
    size = 0
    async for chunk in response.aiter_raw():
        size += len(chunk)
        if size > DRAIN_LIMIT:
            return


def _decompress(data: bytes, encoding: str, cap: int) -> bytes | None:
    import zlib
    if encoding not in ("gzip", "deflate"):
        return data  # not asked for (Accept-Encoding), kept as sent
    wbits = 31 if encoding == "gzip" else 15
    try:
        out = zlib.decompressobj(wbits).decompress(data, cap + 1)
    except zlib.error:
        out = zlib.decompressobj(-15).decompress(data, cap + 1)
    return None if len(out) > cap else out


def _mb(n: int) -> str:
    return f"{n / 1024 / 1024:.1f} MB"


def _retry_after(value: str | None) -> float | None:
    """Seconds to wait from a Retry-After header (seconds or an HTTP date)."""
    if not value:
        return None
    value = value.strip()
    if value.isascii() and value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    from datetime import datetime, timezone
    return max(0.0, (when - datetime.now(timezone.utc)).total_seconds())
