"""National cryptographic algorithms (SM3 digest; SM2/SM4 are added with identity)."""

from cryptography.hazmat.primitives import hashes


def sm3_hex(payload: bytes) -> str:
    digest = hashes.Hash(hashes.SM3())
    digest.update(payload)
    return digest.finalize().hex()


class SM3Writer:
    """Incremental SM3 for streamed files."""

    def __init__(self) -> None:
        self._digest = hashes.Hash(hashes.SM3())

    def update(self, chunk: bytes) -> None:
        self._digest.update(chunk)

    def hexdigest(self) -> str:
        return self._digest.finalize().hex()
