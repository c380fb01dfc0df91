"""The import contract names every licence module but the facade and the API
router, so a new module is closed to other apps from its first commit."""

import pkgutil
import tomllib
from pathlib import Path

import zhengwu.licenses

PYPROJECT = Path(__file__).resolve().parents[4] / "pyproject.toml"
OPEN = {"facade", "api"}  # other apps use the facade; zhengwu.api mounts api


def _contract() -> dict:
    config = tomllib.loads(PYPROJECT.read_text(encoding="utf-8"))
    contracts = config["tool"]["importlinter"]["contracts"]
    (contract,) = [
        c
        for c in contracts
        if c["name"] == "apps reach licenses only through licenses.facade"
    ]
    return contract


def test_every_licence_module_but_facade_and_api_is_forbidden():
    modules = {m.name for m in pkgutil.iter_modules(zhengwu.licenses.__path__)}
    assert OPEN <= modules
    forbidden = {
        name.removeprefix("zhengwu.licenses.")
        for name in _contract()["forbidden_modules"]
    }
    assert forbidden == modules - OPEN
