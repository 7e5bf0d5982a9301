import gc

from kpitui.common.gcpause import no_gc_pauses


def test_no_collection_inside_and_the_collector_as_it_was_after() -> None:
    assert gc.isenabled()
    with no_gc_pauses():
        assert not gc.isenabled()
    assert gc.isenabled()
    gc.disable()
    try:
        with no_gc_pauses():
            assert not gc.isenabled()
        assert not gc.isenabled()  # it was off before, so it stays off
    finally:
        gc.enable()


def test_a_process_that_ends_after_the_block_leaves_the_collector_off() -> None:
    try:
        with no_gc_pauses(restore=False):
            assert not gc.isenabled()
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_check_called_from_python_turns_the_collector_on_again() -> None:
    # Only the command line's own process ends right after `check`; a caller keeps running.
    from pathlib import Path

    from kpitui.cli import main

    sample = Path(__file__).resolve().parents[2] / "sample_trees" / "sales.toml"
    assert main(["check", str(sample), "--fail-on", "never"]) == 0
    assert gc.isenabled()
