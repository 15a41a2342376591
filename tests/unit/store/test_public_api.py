"""The store's one call for commands."""


def test_record_result_is_the_one_call_for_commands() -> None:
    import inspect

    from scaling_lab.store import record_result

    assert list(inspect.signature(record_result).parameters) == ["result", "path"]
