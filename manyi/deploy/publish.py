"""Put the built site (dist/) in its S3 bucket, the way browsers and the CDN need it.

- Content-Type and Cache-Control as the site's one policy says (site_builder.policy, which
  `manyi serve` follows too): a charset on every text type; a content-hashed asset cached for a
  year, immutable, everything else (HTML, JSON, QR codes) for five minutes.
- A folder page `d/<id>/index.html` is also stored under the key `d/<id>/`: CloudFront asks a
  private S3 origin for the key of the URL path, and `/d/<id>/` is the URL printed on paper.
- Order: hashed assets, then other files, then pages; so a page never names an asset that is not
  there yet. Files no longer in dist/ are deleted only after everything new is up; then the CDN
  is invalidated. Unchanged files (same MD5 as the object's ETag) are not uploaded again.
- Questionnaire versions (`api/questionnaire/`) are never deleted: the bucket is their lasting
  record, from which `manyi deploy` restores those a fresh checkout's dist/ lacks.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from manyi.errors import ManyiError
from manyi.versions import SITE_FOLDER
from site_builder.policy import CACHE_FOREVER, cache_control, content_type, is_served

KEPT_PREFIX = SITE_FOLDER + "/"
# S3 deletes at most 1,000 keys a request.
DELETE_BATCH = 1000
UPLOAD_THREADS = 8


class PublishError(ManyiError):
    """Nothing was changed: the message says why."""


@dataclass(frozen=True, slots=True)
class SiteObject:
    key: str
    path: Path
    content_type: str
    cache_control: str
    md5: str

    @property
    def stage(self) -> int:
        """Upload order: hashed assets first, pages last."""
        if self.cache_control == CACHE_FOREVER:
            return 0
        return 2 if self.content_type.startswith("text/html") else 1


@dataclass(frozen=True, slots=True)
class PublishReport:
    uploaded: int
    unchanged: int
    deleted: int
    invalidation: str | None

    def summary(self, bucket: str) -> str:
        cdn = f"; CDN invalidation {self.invalidation}" if self.invalidation else ""
        return (
            f"s3://{bucket}: {self.uploaded} uploaded, {self.unchanged} unchanged, "
            f"{self.deleted} stale deleted{cdn}"
        )


def site_objects(dist: Path) -> list[SiteObject]:
    """Every object the bucket should hold for this build, in upload order."""
    if not (dist / "index.html").is_file():
        # An empty or wrong folder would make every published page "stale".
        raise PublishError(f"{dist} holds no built site (no index.html): run `manyi build` first")
    objects = []
    for path in sorted(p for p in dist.rglob("*") if p.is_file()):
        key = path.relative_to(dist).as_posix()
        if not is_served(key):
            continue  # the builder's own bookkeeping
        md5 = hashlib.md5(path.read_bytes(), usedforsecurity=False).hexdigest()
        keys = [key]
        if key.endswith("/index.html") and key != "index.html":
            keys.append(key.removesuffix("index.html"))
        objects += [SiteObject(k, path, content_type(k), cache_control(k), md5) for k in keys]
    return sorted(objects, key=lambda o: (o.stage, o.key))


def publish_site(
    dist: Path,
    bucket: str,
    *,
    s3: Any,
    cloudfront: Any = None,
    distribution: str | None = None,
    force: bool = False,
    log: Callable[[str], None] = lambda _: None,
) -> PublishReport:
    objects = site_objects(dist)
    existing = _existing_etags(s3, bucket)
    wanted = {o.key for o in objects}
    changed = [o for o in objects if force or existing.get(o.key) != o.md5]
    for stage in (0, 1, 2):
        batch = [o for o in changed if o.stage == stage]
        with ThreadPoolExecutor(max_workers=UPLOAD_THREADS) as pool:
            # list() re-raises the first failed upload before anything is deleted.
            list(pool.map(lambda o: _upload(s3, bucket, o), batch))
        if batch:
            log(f"uploaded {len(batch)} {('hashed assets', 'files', 'pages')[stage]}")
    stale = sorted(k for k in set(existing) - wanted if not k.startswith(KEPT_PREFIX))
    for start in range(0, len(stale), DELETE_BATCH):
        chunk = stale[start : start + DELETE_BATCH]
        answer = s3.delete_objects(
            Bucket=bucket, Delete={"Objects": [{"Key": k} for k in chunk], "Quiet": True}
        )
        if answer.get("Errors"):
            first = answer["Errors"][0]
            raise PublishError(f"could not delete {first['Key']}: {first.get('Message')}")
    if stale:
        log(f"deleted {len(stale)} stale objects")
    invalidation = None
    if distribution:
        if cloudfront is None:
            raise PublishError("a distribution was named but no CloudFront client was given")
        invalidation = invalidate(cloudfront, distribution, ["/*"])
        log(f"invalidated the CDN cache ({invalidation})")
    return PublishReport(len(changed), len(objects) - len(changed), len(stale), invalidation)


def invalidate(cloudfront: Any, distribution: str, paths: Sequence[str]) -> str:
    """One invalidation ("/*" counts as one path whatever it matches); returns its ID."""
    answer = cloudfront.create_invalidation(
        DistributionId=distribution,
        InvalidationBatch={
            "Paths": {"Quantity": len(paths), "Items": list(paths)},
            "CallerReference": f"manyi-publish-{time.time_ns()}",
        },
    )
    return str(answer["Invalidation"]["Id"])


def _existing_etags(s3: Any, bucket: str) -> dict[str, str]:
    etags = {}
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket):
        for item in page.get("Contents", ()):
            etags[item["Key"]] = item["ETag"].strip('"')
    return etags


def _upload(s3: Any, bucket: str, item: SiteObject) -> None:
    s3.put_object(
        Bucket=bucket,
        Key=item.key,
        Body=item.path.read_bytes(),
        ContentType=item.content_type,
        CacheControl=item.cache_control,
    )
