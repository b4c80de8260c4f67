"""Parallel `terraform init`s on a cold plugin cache take turns until one has installed the provider
(smartpay_shared.local.terraform._first_install_lock); then they run at once."""

import threading
import time

import pytest

from smartpay_shared.local import terraform


@pytest.fixture
def rc(tmp_path):
    path = tmp_path / "terraformrc"
    path.write_text(f'plugin_cache_dir = "{tmp_path / "cache"}"\ndisable_checkpoint = true\n')
    return path


def _inits(rc, n, fail_first=False):
    spans, lock = [], threading.Lock()

    def init(i):
        try:
            with terraform._first_install_lock(str(rc)):
                start = time.monotonic()
                time.sleep(0.15)
                with lock:
                    spans.append((start, time.monotonic()))
                if fail_first and i == 0:
                    raise RuntimeError("init failed")
        except RuntimeError:
            pass

    threads = [threading.Thread(target=init, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
        time.sleep(0.01)
    for t in threads:
        t.join()
    return sorted(spans)


def _overlapping(spans):
    return any(b[0] < a[1] for a, b in zip(spans, spans[1:]))


def test_cold_cache_inits_take_turns_then_warm_ones_run_at_once(rc):
    assert not _overlapping(_inits(rc, 3))  # the first install: one at a time
    assert (rc.parent / "cache" / ".smartpay-installed").exists()
    assert _overlapping(_inits(rc, 3))  # installed: at once


def test_a_failed_first_init_leaves_the_cache_cold(rc):
    _inits(rc, 1, fail_first=True)
    assert not (rc.parent / "cache" / ".smartpay-installed").exists()
    assert not _overlapping(_inits(rc, 3))


def test_no_plugin_cache_no_lock(tmp_path):
    rc = tmp_path / "terraformrc"
    rc.write_text("disable_checkpoint = true\n")
    assert terraform._plugin_cache_dir(str(rc)) is None
    assert _overlapping(_inits(rc, 3))
