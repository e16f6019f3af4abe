"""`manyi publish`: types, caching, folder keys, stale files last, CDN invalidation (moto)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws
from moto.server import ThreadedMotoServer

from manyi.deploy.publish import PublishError, publish_site, site_objects
from manyi.model import Questionnaire
from site_builder.policy import CACHE_BRIEFLY as SHORT
from site_builder.policy import CACHE_FOREVER as IMMUTABLE
from site_builder.policy import content_type

# Tens of seconds or more: out of the quick loop (`-m "not browser and not slow"`).
pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
REGION = "cn-northwest-1"
BUCKET = "manyi-site"

FILES = {
    "index.html": "<!doctype html><title>平顶山市 依法行政调查问卷</title>",
    "d/sifaju/index.html": "<!doctype html><title>平顶山市司法局</title>",
    "d/sifaju/wechat/index.html": "<!doctype html><title>微信</title>",
    "d/sifaju/thanks/index.html": "<!doctype html><title>谢谢</title>",
    "d/sifaju/qr.svg": "<svg xmlns='http://www.w3.org/2000/svg'/>",
    "assets/site.0a1b2c3d4e.css": "body{font-size:1.25rem}",
    "assets/site.5f6a7b8c9d.js": "document.documentElement.className='js';",
    "api/questionnaire/2716c1b543cd.json": json.dumps({"title": "依法行政调查问卷"}),
}


def write_site(dist: Path, files: dict[str, str | bytes]) -> None:
    for key, content in files.items():
        path = dist / key
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")


@pytest.fixture
def dist(tmp_path: Path) -> Path:
    folder = tmp_path / "dist"
    write_site(folder, {**FILES, "d/sifaju/qr.png": b"\x89PNG\r\n\x1a\n", ".build-state": "x"})
    return folder


@pytest.fixture
def aws() -> Iterator[tuple[Any, Any, str]]:
    with mock_aws():
        s3 = boto3.client("s3", region_name=REGION)
        s3.create_bucket(Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": REGION})
        cloudfront = boto3.client("cloudfront", region_name=REGION)
        distribution = cloudfront.create_distribution(DistributionConfig=_distribution_config())
        yield s3, cloudfront, distribution["Distribution"]["Id"]


class Recording:
    """An S3 client that notes each call (and can fail one key), delegating to moto's."""

    def __init__(self, client: Any, fail_on: str | None = None) -> None:
        self.client = client
        self.calls: list[tuple[str, str]] = []
        self.fail_on = fail_on

    def put_object(self, **kwargs: Any) -> Any:
        self.calls.append(("put", kwargs["Key"]))
        if kwargs["Key"] == self.fail_on:
            raise RuntimeError("connection reset")
        return self.client.put_object(**kwargs)

    def delete_objects(self, **kwargs: Any) -> Any:
        for item in kwargs["Delete"]["Objects"]:
            self.calls.append(("delete", item["Key"]))
        return self.client.delete_objects(**kwargs)

    def get_paginator(self, name: str) -> Any:
        return self.client.get_paginator(name)


def keys(s3: Any) -> set[str]:
    pages = s3.get_paginator("list_objects_v2").paginate(Bucket=BUCKET)
    return {o["Key"] for page in pages for o in page.get("Contents", [])}


def test_types_carry_a_charset_for_text_only() -> None:
    assert content_type("d/x/index.html") == "text/html; charset=utf-8"
    assert content_type("d/x/") == "text/html; charset=utf-8"
    assert content_type("assets/site.0a1b2c3d4e.css") == "text/css; charset=utf-8"
    assert content_type("assets/site.0a1b2c3d4e.js") == "text/javascript; charset=utf-8"
    assert content_type("api/questionnaire/v.json") == "application/json; charset=utf-8"
    assert content_type("d/x/qr.svg") == "image/svg+xml; charset=utf-8"
    assert content_type("d/x/qr.png") == "image/png"
    assert content_type("unknown.bin") == "application/octet-stream"


def test_publish_sets_types_caching_and_folder_keys(dist: Path, aws: Any) -> None:
    s3, cloudfront, distribution = aws
    report = publish_site(dist, BUCKET, s3=s3, cloudfront=cloudfront, distribution=distribution)
    expected = set(FILES) | {"d/sifaju/qr.png", "d/sifaju/", "d/sifaju/wechat/"}
    expected |= {"d/sifaju/thanks/"}
    assert keys(s3) == expected
    assert report.uploaded == len(expected)
    assert report.deleted == 0

    def head(key: str) -> dict[str, Any]:
        answer: dict[str, Any] = s3.head_object(Bucket=BUCKET, Key=key)
        return answer

    page = head("d/sifaju/")
    assert page["ContentType"] == "text/html; charset=utf-8"
    assert page["CacheControl"] == SHORT
    body = s3.get_object(Bucket=BUCKET, Key="d/sifaju/")["Body"].read().decode("utf-8")
    assert "平顶山市司法局" in body
    css = head("assets/site.0a1b2c3d4e.css")
    assert css["ContentType"] == "text/css; charset=utf-8"
    assert css["CacheControl"] == IMMUTABLE
    assert head("assets/site.5f6a7b8c9d.js")["CacheControl"] == IMMUTABLE
    # The questionnaire's JSON is named by its version but refreshed with the department list.
    version = head("api/questionnaire/2716c1b543cd.json")
    assert version["ContentType"] == "application/json; charset=utf-8"
    assert version["CacheControl"] == SHORT
    assert head("d/sifaju/qr.png")["ContentType"] == "image/png"
    invalidations = cloudfront.list_invalidations(DistributionId=distribution)
    items = invalidations["InvalidationList"]["Items"]
    assert [i["Id"] for i in items] == [report.invalidation]
    batch = cloudfront.get_invalidation(DistributionId=distribution, Id=report.invalidation)
    assert batch["Invalidation"]["InvalidationBatch"]["Paths"]["Items"] == ["/*"]


def test_stale_objects_go_only_after_everything_new_is_up(dist: Path, aws: Any) -> None:
    s3, _, _ = aws
    publish_site(dist, BUCKET, s3=s3)
    # The next build: a new stylesheet, a department gone, one page changed; and a checkout
    # whose dist/ lacks an old questionnaire version, which the bucket keeps regardless.
    (dist / "assets/site.0a1b2c3d4e.css").unlink()
    (dist / "api/questionnaire/2716c1b543cd.json").unlink()
    write_site(
        dist,
        {
            "assets/site.9999999999.css": "body{font-size:1.5rem}",
            "index.html": "<!doctype html><link href=/assets/site.9999999999.css>",
        },
    )
    recording = Recording(s3)
    report = publish_site(dist, BUCKET, s3=recording)
    assert report.uploaded == 2
    assert report.deleted == 1
    assert report.unchanged == len(site_objects(dist)) - 2
    assert recording.calls == [
        ("put", "assets/site.9999999999.css"),  # the asset before the page that names it
        ("put", "index.html"),
        ("delete", "assets/site.0a1b2c3d4e.css"),
    ]
    assert "assets/site.0a1b2c3d4e.css" not in keys(s3)
    assert "api/questionnaire/2716c1b543cd.json" in keys(s3)


def test_a_failed_upload_deletes_nothing(dist: Path, aws: Any) -> None:
    s3, _, _ = aws
    publish_site(dist, BUCKET, s3=s3)
    (dist / "d/sifaju/wechat/index.html").unlink()
    write_site(dist, {"index.html": "<!doctype html><title>new</title>"})
    recording = Recording(s3, fail_on="index.html")
    with pytest.raises(RuntimeError, match="connection reset"):
        publish_site(dist, BUCKET, s3=recording)
    assert not [call for call in recording.calls if call[0] == "delete"]
    assert "d/sifaju/wechat/index.html" in keys(s3)


def test_an_unbuilt_folder_is_refused_before_anything_changes(tmp_path: Path, aws: Any) -> None:
    s3, _, _ = aws
    s3.put_object(Bucket=BUCKET, Key="index.html", Body=b"live")
    (tmp_path / "empty").mkdir()
    with pytest.raises(PublishError, match="manyi build"):
        publish_site(tmp_path / "empty", BUCKET, s3=s3)
    assert keys(s3) == {"index.html"}


def test_force_uploads_unchanged_files(dist: Path, aws: Any) -> None:
    s3, _, _ = aws
    publish_site(dist, BUCKET, s3=s3)
    assert publish_site(dist, BUCKET, s3=s3).uploaded == 0
    assert publish_site(dist, BUCKET, s3=s3, force=True).unchanged == 0


@pytest.fixture
def moto_endpoint() -> Iterator[str]:
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


def test_cli_publishes_and_invalidates(dist: Path, moto_endpoint: str) -> None:
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "AWS_ENDPOINT_URL": moto_endpoint,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": REGION,
    }
    session = boto3.session.Session(
        aws_access_key_id="testing", aws_secret_access_key="testing", region_name=REGION
    )
    s3 = session.client("s3", endpoint_url=moto_endpoint)
    s3.create_bucket(Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": REGION})
    cloudfront = session.client("cloudfront", endpoint_url=moto_endpoint)
    distribution = cloudfront.create_distribution(DistributionConfig=_distribution_config())
    distribution_id = distribution["Distribution"]["Id"]
    command = [sys.executable, "-m", "manyi", "publish", "--bucket", BUCKET, "--dist", str(dist)]
    result = subprocess.run(
        [*command, "--distribution", distribution_id],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert f"s3://{BUCKET}: 12 uploaded, 0 unchanged, 0 stale deleted" in result.stdout
    assert "CDN invalidation" in result.stdout
    refused = subprocess.run(
        [sys.executable, "-m", "manyi", "publish", "--bucket", BUCKET, "--dist", "/nonexistent"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert refused.returncode == 2
    assert "manyi build" in refused.stderr


def _distribution_config() -> dict[str, Any]:
    return {
        "CallerReference": "manyi-test",
        "Comment": "test",
        "Enabled": True,
        "Origins": {
            "Quantity": 1,
            "Items": [
                {
                    "Id": "site",
                    "DomainName": f"{BUCKET}.s3.amazonaws.com",
                    "S3OriginConfig": {"OriginAccessIdentity": ""},
                }
            ],
        },
        "DefaultCacheBehavior": {
            "TargetOriginId": "site",
            "ViewerProtocolPolicy": "redirect-to-https",
            "CachePolicyId": "658327ea-f89d-4fab-a63d-7e88639e58f6",
        },
    }


def test_a_real_build_is_published_with_a_type_for_every_file(
    tmp_path: Path, aws: Any, questionnaire: Questionnaire
) -> None:
    from site_builder.build import build_site

    dist = tmp_path / "dist"
    build_site(questionnaire, dist, base_url="https://manyi.example.gov.cn")
    s3, cloudfront, distribution = aws
    publish_site(dist, BUCKET, s3=s3, cloudfront=cloudfront, distribution=distribution)
    stored = keys(s3)
    for department in questionnaire.departments:
        # The URL printed in the QR code is a key of its own.
        assert f"d/{department.id}/" in stored
        page = s3.get_object(Bucket=BUCKET, Key=f"d/{department.id}/")
        assert page["ContentType"] == "text/html; charset=utf-8"
        assert department.name in page["Body"].read().decode("utf-8")
    assert not [k for k in stored if k.startswith(".") or "/." in k]
    for key in stored:
        head = s3.head_object(Bucket=BUCKET, Key=key)
        assert head["ContentType"] != "application/octet-stream", key
        expected = IMMUTABLE if key.startswith("assets/") else SHORT
        assert head["CacheControl"] == expected, key
