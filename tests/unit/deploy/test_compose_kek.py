"""compose.yaml: each touchpoint service has the KEK keyring, in a volume apart from the db."""

from __future__ import annotations

from pathlib import Path, PurePosixPath

import yaml

COMPOSE = Path(__file__).resolve().parents[3] / "compose.yaml"
DOCKERFILE = COMPOSE.with_name("Dockerfile")


def test_every_touchpoint_service_reads_its_keyring_from_a_volume_apart_from_the_database():
    services = yaml.safe_load(COMPOSE.read_text())["services"]
    db_volumes = {volume.split(":", 1)[0] for volume in services["db"]["volumes"]}
    for name in ("migrate", "api", "projector"):
        keyring = PurePosixPath(services[name]["environment"]["TOUCHPOINT_KEK_FILE"])
        mounts = dict(volume.split(":")[:2][::-1] for volume in services[name]["volumes"])
        volume = mounts.get(str(keyring.parent))
        assert volume is not None, name
        assert volume not in db_volumes, name


def test_the_image_makes_the_keyring_folder_for_its_own_user():
    text = DOCKERFILE.read_text()
    assert "/var/lib/touchpoint-kek" in text
    assert text.index("chown nobody /var/lib/touchpoint-kek") < text.index("USER nobody")
