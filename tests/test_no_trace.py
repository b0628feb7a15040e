"""Tests leave the checkout as they found it: what tests/conftest.py does so, checked."""

from __future__ import annotations

import uuid

from hypothesis.configuration import storage_directory

from tests.conftest import README_IMAGES, ROOT, _checkout_state


def test_the_session_check_sees_a_file_left_in_the_checkout():
    leftover = ROOT / f"left-by-a-test-{uuid.uuid4().hex[:8]}.db"  # ignored by .gitignore, like genome.db
    before = _checkout_state()
    assert before is not None, "the tests run from a git checkout"
    leftover.write_bytes(b"")
    try:
        assert leftover.name in _checkout_state()
    finally:
        leftover.unlink()
    assert _checkout_state() == before


def test_caches_and_the_venv_are_not_reported():
    assert not [path for path in _checkout_state() if "__pycache__/" in path or path == ".venv"]


def test_screenshots_go_to_a_temporary_folder_unless_asked_for(screenshot_dir, request):
    if request.config.getoption("--update-screenshots"):
        assert screenshot_dir == ROOT / README_IMAGES
    else:
        assert not screenshot_dir.resolve().is_relative_to(ROOT)


def test_hypothesis_keeps_its_files_outside_the_checkout():
    assert not storage_directory("examples", intent_to_write=False).path.resolve().is_relative_to(ROOT)
