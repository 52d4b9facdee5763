"""Sealing a secret for one reader: libsodium sealed boxes (X25519 + XSalsa20-Poly1305,
through PyNaCl).

The invitations service seals a new password hash with the directory's public key before
the hash goes on the bus, so outbox rows, queues, dead-letter queues and anything bound to
`#` hold only ciphertext; only the directory, which holds the private key, can open it.
Rotation: the directory opens with any of its keys (new first), the sender seals with the
newest public key (docs/operations.md).
"""

import base64
import binascii
from collections.abc import Sequence

from nacl.exceptions import CryptoError
from nacl.public import PrivateKey, PublicKey, SealedBox


class SealedBoxError(ValueError):
    """The sealed text can't be opened with any key held (or is not a sealed box)."""


def new_sealing_key_pair() -> tuple[str, str]:
    """(private key, public key), each 32 bytes in base64."""
    private = PrivateKey.generate()
    return _b64(bytes(private)), _b64(bytes(private.public_key))


def public_key_of(private_key: str) -> str:
    return _b64(bytes(PrivateKey(_unb64(private_key)).public_key))


def seal(plaintext: str, public_key: str) -> str:
    box = SealedBox(PublicKey(_unb64(public_key)))
    return _b64(box.encrypt(plaintext.encode()))


def open_sealed(sealed: str, private_keys: Sequence[str]) -> str:
    try:
        ciphertext = _unb64(sealed)
    except (binascii.Error, ValueError) as error:
        raise SealedBoxError("not base64") from error
    for key in private_keys:
        try:
            return SealedBox(PrivateKey(_unb64(key))).decrypt(ciphertext).decode()
        except (CryptoError, UnicodeDecodeError):
            continue
    raise SealedBoxError("no key held opens this sealed box")


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode()


def _unb64(text: str) -> bytes:
    return base64.b64decode(text.strip(), validate=True)
