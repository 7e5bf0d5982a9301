import gc

from kpitui.core.gcpause import no_gc_pauses


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
