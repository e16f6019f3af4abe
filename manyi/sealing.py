"""Personal fields sealed at rest: AES-GCM per field, under a data key wrapped by a key file or KMS.

Follow-up cases and complaints hold names and phone numbers; the anonymous survey never does.
Each record gets its own 256-bit data key (envelope encryption): the fields are sealed with
AES-GCM under it, and the data key itself is stored wrapped, either by a key file kept outside the
data folder (one machine) or by AWS KMS (the deployment). Each field's associated data names the
record and the field, so a sealed value copied onto another record or field does not open.

With KMS, the collector only ever asks for new data keys (it seals what a complainant types) and
cannot open anything it sealed; only the workspace function may decrypt.

The cipher library is imported where a key is used, not with this module: what only carries
sealed records (the stores, the retention purge, which drops them unopened) never loads it.
"""

from __future__ import annotations

import base64
import os
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from manyi.errors import ManyiError

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

KEY_BYTES = 32
NONCE_BYTES = 12
# A sealed field starts with its format, so a later format can sit beside this one.
SEALED_PREFIX = "s1."


class SealingError(ManyiError):
    """A sealed value that does not open, or a key that cannot be used. Never carries plaintext."""


class KeyWrapper(Protocol):
    """Makes per-record data keys and unwraps them again; the master key never leaves it."""

    def new_data_key(self, context: dict[str, str]) -> tuple[bytes, bytes]:
        """A fresh data key: (plaintext key, wrapped key to store)."""
        ...

    def unwrap(self, wrapped: bytes, context: dict[str, str]) -> bytes:
        """The plaintext data key of a wrapped one, if the context is the one it was made for."""
        ...


def _cipher(key: bytes) -> AESGCM:
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    return AESGCM(key)


def _new_key() -> bytes:
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    return AESGCM.generate_key(bit_length=KEY_BYTES * 8)


def _context_bytes(context: dict[str, str]) -> bytes:
    return "\x1f".join(f"{key}={context[key]}" for key in sorted(context)).encode()


class KeyFileWrapper:
    """Data keys wrapped with AES-GCM under a 256-bit master key read from a file."""

    def __init__(self, master_key: bytes) -> None:
        if len(master_key) != KEY_BYTES:
            raise SealingError("the key file must hold a 256-bit key")
        self._master = _cipher(master_key)

    def new_data_key(self, context: dict[str, str]) -> tuple[bytes, bytes]:
        data_key = _new_key()
        nonce = os.urandom(NONCE_BYTES)
        return data_key, nonce + self._master.encrypt(nonce, data_key, _context_bytes(context))

    def unwrap(self, wrapped: bytes, context: dict[str, str]) -> bytes:
        from cryptography.exceptions import InvalidTag

        try:
            return self._master.decrypt(
                wrapped[:NONCE_BYTES], wrapped[NONCE_BYTES:], _context_bytes(context)
            )
        except InvalidTag as wrong:
            raise SealingError("the data key does not open with this key file") from wrong


class KmsWrapper:
    """Data keys from AWS KMS (GenerateDataKey), unwrapped by KMS Decrypt with the same context."""

    def __init__(self, key_id: str, client: Any | None = None) -> None:
        self.key_id = key_id
        if client is None:
            import boto3

            client = boto3.client("kms")
        self._kms = client

    def new_data_key(self, context: dict[str, str]) -> tuple[bytes, bytes]:
        made = self._kms.generate_data_key(
            KeyId=self.key_id, KeySpec="AES_256", EncryptionContext=context
        )
        return made["Plaintext"], made["CiphertextBlob"]

    def unwrap(self, wrapped: bytes, context: dict[str, str]) -> bytes:
        opened = self._kms.decrypt(
            KeyId=self.key_id, CiphertextBlob=wrapped, EncryptionContext=context
        )
        return bytes(opened["Plaintext"])


@dataclass(frozen=True)
class SealedRecord:
    """What is stored for one record: its wrapped data key and its sealed fields."""

    wrapped_key: str
    fields: dict[str, str]


class Sealer:
    """Seals and opens the personal fields of records of one kind (e.g. complaints)."""

    def __init__(self, wrapper: KeyWrapper, kind: str) -> None:
        self._wrapper = wrapper
        self.kind = kind

    def _context(self, record_id: str) -> dict[str, str]:
        return {"kind": self.kind, "record": record_id}

    def seal(self, record_id: str, fields: dict[str, str]) -> SealedRecord:
        """Every field sealed under one new data key bound to this record."""
        data_key, wrapped = self._wrapper.new_data_key(self._context(record_id))
        cipher = _cipher(data_key)
        sealed = {}
        for name, value in fields.items():
            nonce = os.urandom(NONCE_BYTES)
            box = cipher.encrypt(nonce, value.encode(), f"{record_id}/{name}".encode())
            sealed[name] = SEALED_PREFIX + _b64(nonce + box)
        return SealedRecord(wrapped_key=_b64(wrapped), fields=sealed)

    def open(self, record_id: str, record: SealedRecord) -> dict[str, str]:
        """The plaintext fields; SealingError if any was tampered with or moved."""
        from cryptography.exceptions import InvalidTag

        data_key = self._wrapper.unwrap(_unb64(record.wrapped_key), self._context(record_id))
        cipher = _cipher(data_key)
        opened = {}
        for name, value in record.fields.items():
            if not value.startswith(SEALED_PREFIX):
                raise SealingError(f"field {name} is not sealed in a known format")
            blob = _unb64(value[len(SEALED_PREFIX) :])
            try:
                plain = cipher.decrypt(
                    blob[:NONCE_BYTES], blob[NONCE_BYTES:], f"{record_id}/{name}".encode()
                )
            except InvalidTag as wrong:
                raise SealingError(f"field {name} does not open for this record") from wrong
            opened[name] = plain.decode()
        return opened


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except ValueError as wrong:
        raise SealingError("a sealed value is not valid base64") from wrong


# --- the local key file -------------------------------------------------------------------------


def create_key_file(path: Path, data_folder: Path | None = None) -> None:
    """Write a new random master key to `path` (mode 0600); refuses to overwrite or to sit inside
    the data folder, since a backup of the data would then carry its own key."""
    path = path.resolve()
    if data_folder is not None and path.is_relative_to(data_folder.resolve()):
        raise SealingError(
            f"{path}: the key file must live outside the data folder {data_folder.resolve()}"
        )
    if path.exists():
        raise SealingError(f"{path}: a key file is already there; it is never overwritten")
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w") as handle:
        handle.write(secrets.token_hex(KEY_BYTES) + "\n")


def read_key_file(path: Path) -> KeyFileWrapper:
    """The wrapper for a key file made by `create_key_file`; SealingError says what is wrong."""
    try:
        text = path.read_text().strip()
    except OSError as missing:
        raise SealingError(f"{path}: cannot read the key file ({missing.strerror})") from missing
    try:
        key = bytes.fromhex(text)
    except ValueError as wrong:
        raise SealingError(f"{path}: not a key file made by `manyi key create`") from wrong
    return KeyFileWrapper(key)
