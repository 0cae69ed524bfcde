"""Property tests: whatever Python values a caller passes (hostile names,
odd contents, absurd limits), a call answers with a result or a named
`SandboxException`, never another exception, a crash or a hang, and
leaves no process behind."""

from __future__ import annotations

import os
from typing import Any, Dict

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import alive, descendants
from sandbox_executor import SandboxClient, SandboxException

CLIENT = SandboxClient(timeout=5)
RAN: Dict[str, int] = {}

names = st.one_of(
    st.text(max_size=40),
    st.sampled_from(["..", ".", "/", "a/../../b", "a//b", "\x00", "con", "a" * 300, "~/x", "-rf"]),
    st.integers(),
    st.binary(max_size=10),
    st.none(),
)
contents = st.one_of(
    st.binary(max_size=200),
    st.text(max_size=200),
    st.integers(),
    st.none(),
    st.lists(st.integers(), max_size=3),
)
numbers = st.one_of(
    st.none(),
    st.floats(min_value=0.5, max_value=5),
    st.floats(allow_nan=True, allow_infinity=True),
    st.integers(min_value=-(2**70), max_value=2**70),
)


@settings(
    max_examples=60, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow]
)
@given(
    files=st.dictionaries(names, contents, max_size=4),
    timeout=numbers,
    memory=st.one_of(
        st.none(),
        st.integers(min_value=32, max_value=512),
        st.integers(min_value=-(2**40), max_value=2**40),
    ),
    mode=st.one_of(st.none(), st.sampled_from(["secure", "simple", "", "SECURE", "fast"])),
)
def test_any_arguments_give_a_result_or_a_named_error(
    files: Dict[Any, Any], timeout: Any, memory: Any, mode: Any
) -> None:
    try:
        result = CLIENT.execute(
            "import pathlib\nprint(sorted(str(p) for p in pathlib.Path('.').rglob('*') if p.is_file()))",
            files,
            timeout=timeout,
            memory_mb=memory,
            mode=mode,
        )
    except SandboxException as error:
        assert error.message
        assert error.code
        return
    except (TypeError, OverflowError):
        # Python's own refusal of a wrong type or an int beyond 64 bits,
        # raised by the argument conversion before anything runs.
        return
    assert result.status in {"ok", "timeout", "memory_limit"}, result
    RAN[result.status] = RAN.get(result.status, 0) + 1
    if result.status == "ok":
        # Every file given is there, under the name given.
        assert result.stdout == f"{sorted(files)}\n"


def test_no_process_is_left_after_the_properties() -> None:
    # The properties above ran code, not only refusals.
    assert RAN.get("ok", 0) > 0, RAN
    assert alive(descendants(os.getpid())) == set()
