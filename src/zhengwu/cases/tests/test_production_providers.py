"""Production settings refuse the local payment and express providers (they confirm a
payment nobody made) unless a demonstration says so explicitly."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

SRC_DIR = Path(__file__).resolve().parents[3]


def _load_production(tmp_path: Path, **variables: str) -> subprocess.CompletedProcess:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = tmp_path / "oidc.pem"
    pem.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    environ = {
        "PATH": os.environ.get("PATH", ""),
        "PYTHONPATH": str(SRC_DIR),
        "ZHENGWU_SECRET_KEY": "x" * 50,
        "ZHENGWU_FIELD_ENCRYPTION_KEY": "0" * 32,
        "ZHENGWU_BLIND_INDEX_KEY": "1" * 32,
        "ZHENGWU_OIDC_PRIVATE_KEY_FILE": str(pem),
        "ZHENGWU_OIDC_ISSUER": "https://zhengwu.example/o",
        **variables,
    }
    return subprocess.run(  # noqa: S603
        [
            sys.executable,
            "-c",
            "import zhengwu.conf.production as s; print(s.ZHENGWU_PAYMENT_BACKEND)",
        ],
        env=environ,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_production_refuses_the_local_payment_provider(tmp_path):
    # when production settings load with the default (local) providers
    result = _load_production(tmp_path)
    # then start-up fails naming the setting
    assert result.returncode != 0
    assert "ZHENGWU_PAYMENT_BACKEND" in result.stderr


@pytest.mark.parametrize(
    "variables",
    [
        {"ZHENGWU_ALLOW_LOCAL_PROVIDERS": "true"},
        {
            "ZHENGWU_PAYMENT_BACKEND": "example.pay.Gateway",
            "ZHENGWU_EXPRESS_BACKEND": "example.express.Gateway",
        },
    ],
)
def test_production_starts_with_real_providers_or_an_explicit_demo(tmp_path, variables):
    result = _load_production(tmp_path, **variables)
    assert result.returncode == 0, result.stderr


def test_production_refuses_a_local_express_provider_beside_a_real_payment(tmp_path):
    result = _load_production(tmp_path, ZHENGWU_PAYMENT_BACKEND="example.pay.Gateway")
    assert result.returncode != 0
    assert "ZHENGWU_EXPRESS_BACKEND" in result.stderr
