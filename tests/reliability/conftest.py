"""One real deployment per database, shared by the reliability tests that need servers."""

from collections.abc import Iterator

import pytest

from tests.reliability.servers import Deployment, deploy


@pytest.fixture(scope="session")
def deployment(backend, tmp_path_factory) -> Iterator[Deployment]:
    with deploy(backend, tmp_path_factory.mktemp(f"deployment-{backend}")) as d:
        yield d
