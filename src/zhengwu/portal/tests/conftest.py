import pytest

from .fixtures import build_world


@pytest.fixture
def world(db, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return build_world()


@pytest.fixture
def client_for(client, world):
    """A test client signed in as one of the world's users (or anonymous)."""

    def make(kind: str):
        users = {
            "authority": world.authority,
            "editor": world.editor,
            "other_editor": world.other_editor,
        }
        if kind != "anonymous":
            client.force_login(users[kind])
        return client

    return make
