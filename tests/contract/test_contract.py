"""The input contract (``reference/checks.py``) for every public callable of every section.

For each callable, ``cases.py`` holds one valid call and its oracle. From it this test
builds bad inputs of every category that applies to each argument (NaN, infinity, wrong
dtype, wrong shape, empty, a list instead of a tensor, a tensor on the ``meta`` device,
out-of-range and mistyped scalars, unknown options), drawing the details with hypothesis,
and requires one of:

* a ``ValueError`` or ``TypeError`` whose message names the argument;
* the production library's result on the same input (``Case.production``);
* for a callable without a production counterpart, a result its case declares right
  (``Case.accept``, ``Case.domains``).

Anything else fails: another exception, an error that does not say which argument is
wrong, a result that differs from production, a call that does not return within 30 s.
One test per callable tries all its bad inputs and lists every one handled wrongly. A
new public function fails ``test_every_public_callable_has_a_case`` until its valid call
is added to ``cases.py``; no new test is needed.
"""

from __future__ import annotations

import copy
import importlib
import math
import pkgutil
import re
import signal
import zlib
from collections.abc import Iterator
from contextlib import contextmanager

import numpy as np
import pytest
import torch
from hypothesis import HealthCheck, given, seed, settings
from torch import Tensor

import reference
from tests.contract.case import Args, Case, assert_same
from tests.contract.cases import CASES, RECORDS
from tests.contract.mutations import (
    SCALAR_CATEGORIES,
    Path,
    applicable,
    base,
    categories,
    get,
    replace,
    sites,
    strategy,
)

TIME_LIMIT = 30  # seconds: a call that takes longer is taken for a hang


class ContractViolation(AssertionError):
    """A public callable broke the input contract."""


def public_callables() -> dict[str, object]:
    """``section.Name`` of every callable in the ``__all__`` of every section package."""
    found = {}
    for info in pkgutil.iter_modules(reference.__path__):
        if not info.ispkg:
            continue
        module = importlib.import_module(f"reference.{info.name}")
        for name in module.__all__:
            if callable(getattr(module, name)):
                found[f"{info.name}.{name}"] = getattr(module, name)
    return found


@contextmanager
def time_limit(seconds: int) -> Iterator[None]:
    def expire(signum: int, frame: object) -> None:
        raise TimeoutError(f"no answer within {seconds} s")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def names(error: BaseException, argument: str) -> bool:
    """Whether the message names the argument as a word (``x`` in ``x must``, not in ``max``)."""
    return re.search(rf"(?<![\w.]){re.escape(argument)}(?![\w])", str(error)) is not None


def non_finite(result: object) -> bool:
    """Whether a result holds a NaN or an infinity anywhere."""
    if isinstance(result, Tensor):
        return result.is_floating_point() and not bool(torch.isfinite(result).all())
    if isinstance(result, np.ndarray):
        return np.issubdtype(result.dtype, np.floating) and not np.isfinite(result).all()
    if isinstance(result, float):
        return not math.isfinite(result)
    if isinstance(result, list | tuple):
        return any(non_finite(r) for r in result)
    if isinstance(result, dict):
        return any(non_finite(r) for r in result.values())
    return False


def _tensors_in(result: object) -> list[object]:
    if isinstance(result, list | tuple):
        return [t for r in result for t in _tensors_in(r)]
    if isinstance(result, dict):
        return [t for r in result.values() for t in _tensors_in(r)]
    return [result]


def as_float(value: object) -> object:
    if isinstance(value, Tensor) and not value.is_floating_point():
        return value.to(torch.get_default_dtype())
    if isinstance(value, np.ndarray) and not np.issubdtype(value.dtype, np.floating):
        return value.astype(np.float64)
    return value


_VALID: dict[str, object] = {}


def _valid_result(case: Case) -> object:
    """The result of the case's valid call, computed once."""
    if case.name not in _VALID:
        _VALID[case.name] = case.call(**case.args())
    return _VALID[case.name]


def check(case: Case, path: Path, category: str, mutant: object) -> None:
    """Call with one bad input and judge the outcome; raise ContractViolation if it is wrong."""
    argument = str(path[0])
    where = f"{case.name}({argument}{''.join(f'[{p!r}]' for p in path[1:])}: {category})"
    kind = base(category)
    accept = case.accept.get(f"{argument}:{kind}", case.accept.get(f"*:{kind}"))
    bad = replace(case.args(), path, copy.deepcopy(mutant))
    try:
        with time_limit(TIME_LIMIT):
            result = case.call(**bad)
    except (ValueError, TypeError) as error:
        if names(error, argument) or accept in ("raises", "any"):
            return
        raise ContractViolation(
            f"{where}: the error does not name {argument!r}: {error!r}"
        ) from error
    except TimeoutError as error:
        raise ContractViolation(f"{where}: hangs ({error})") from error
    except Exception as error:
        if accept in ("raises", "any"):
            return
        raise ContractViolation(
            f"{where}: {type(error).__name__}, not a ValueError or "
            f"TypeError naming the argument: {error}"
        ) from error
    if accept in ("any", "valid"):  # a deliberate difference, or a still valid input
        return
    tensors = [t for t in _tensors_in(result) if isinstance(t, Tensor)]
    if kind == "meta" and tensors and not any(t.is_meta for t in tensors):
        # torch mixes meta and CPU in a few ops (matmul) and returns uninitialised memory
        raise ContractViolation(f"{where}: returned values computed from a tensor without data")
    if kind == "numpy":  # a NumPy scalar must behave as the Python number it holds
        assert_same(result, _valid_result(case), case.tolerance)
        return
    if case.production is not None:
        try:
            theirs = case.production(**replace(case.args(), path, copy.deepcopy(mutant)))
        except Exception as error:
            raise ContractViolation(
                f"{where}: returned a result where production refuses the input "
                f"({type(error).__name__}: {error})"
            ) from error
        try:
            assert_same(result, theirs, case.tolerance)
        except AssertionError as error:
            raise ContractViolation(f"{where}: differs from production: {error}") from error
        return
    if (
        kind in SCALAR_CATEGORIES
        and argument in case.domains
        and kind not in ("float", "bool", "type")
    ):
        value = get(bad, path)
        if not case.domains[argument](value):
            raise ContractViolation(f"{where}: accepted {value!r}, outside its domain")
        return
    if accept is None:
        raise ContractViolation(
            f"{where}: returned a result, and nothing can check it: refuse this input, or "
            "declare why the result is right (Case.accept or Case.domains)"
        )
    if callable(accept):
        accept(result, bad)
    elif accept == "propagate" and not non_finite(result):
        raise ContractViolation(f"{where}: the NaN or infinity vanished from the result")
    elif accept == "converts":
        converted = replace(case.args(), path, as_float(copy.deepcopy(mutant)))
        assert_same(result, case.call(**converted), case.tolerance)
    elif accept == "raises":
        raise ContractViolation(f"{where}: expected the callee to raise, but it returned")


def items(case: Case) -> Iterator[tuple[Path, str]]:
    """Every (argument path, category) of bad input that applies to ``case``."""
    for path, value in sites(case.args()):
        if path[0] not in case.fixed:
            for category in categories(value):
                if applicable(value, category):
                    yield path, category


ITEMS = {case.name: list(items(case)) for case in CASES}


def _mutants_fail(case: Case, path: Path, category: str, item: str) -> None:
    """Try up to four bad values of ``category`` at ``path``, drawn by hypothesis."""

    # A seed per item, not derandomize: that would hash the source of `run` on every call.
    @seed(zlib.crc32(item.encode()))
    @settings(
        max_examples=4,
        deadline=None,
        derandomize=False,
        suppress_health_check=list(HealthCheck),
        report_multiple_bugs=False,
        database=None,  # no replay of old failures: each run tries the same examples
    )
    @given(mutant=strategy(get(case.args(), path), category))
    def run(mutant: object) -> None:
        check(case, path, category, mutant)

    # No database, so no key: without one, hypothesis hashes the source of `run` on every
    # call (5 s over the suite). The attribute is the one `hypothesis.find` sets.
    run._hypothesis_internal_database_key = None  # type: ignore[attr-defined]
    run()


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_bad_input(case: Case) -> None:
    """Every bad input of every argument of one callable; the failures are listed together."""
    violations = []
    for path, category in ITEMS[case.name]:
        item = f"{case.name}-{'.'.join(str(p) for p in path)}-{category}"
        try:
            _mutants_fail(case, path, category, item)
        except AssertionError as error:  # a ContractViolation, or differs from production
            violations.append(f"{item}: {error}")
    assert not violations, f"{len(violations)} bad inputs handled wrongly:\n" + "\n".join(
        violations
    )


def test_every_public_callable_has_a_case() -> None:
    covered = {case.callable_name for case in CASES}
    missing = sorted(set(public_callables()) - covered - set(RECORDS))
    assert not missing, f"add a valid call to tests/contract/cases.py for {missing}"
    unknown = sorted(covered - set(public_callables()))
    assert not unknown, f"cases for callables that are not public: {unknown}"


def test_records_are_plain_records() -> None:
    """Result records (NamedTuple, frozen dataclass) hold what a function computed; they
    have no behaviour of their own to check, so they are exempt, and must stay records."""
    import dataclasses

    for name in RECORDS:
        record = public_callables()[name]
        assert isinstance(record, type)
        assert dataclasses.is_dataclass(record) or issubclass(record, tuple), name


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_valid_call_matches_production(case: Case) -> None:
    with time_limit(TIME_LIMIT):
        ours = case.call(**case.args())
    if case.production is not None:
        assert_same(ours, case.production(**case.args()), case.tolerance)


def _holds_tensors(args: Args) -> bool:
    return any(isinstance(value, Tensor) for _, value in sites(args))


DEVICE_CASES = [c for c in CASES if c.device and _holds_tensors(c.args())]


@pytest.mark.parametrize("case", DEVICE_CASES, ids=[c.name for c in DEVICE_CASES])
def test_allocates_on_the_inputs_device(case: Case) -> None:
    """Run the valid call with ``meta`` as the default device: a tensor created without
    ``device=`` lands there and cannot meet the CPU inputs, as it could not meet CUDA ones."""
    expected = case.call(**case.args())
    args = case.args()

    def run() -> None:
        with torch.device("meta"):
            got = case.call(**args)
        assert_same(got, expected, case.tolerance)

    run()


def test_counts() -> None:
    """The numbers the issue asks for, kept honest: how many callables, how many checks."""
    assert len(public_callables()) == len({c.callable_name for c in CASES}) + len(RECORDS)
    assert sum(len(found) for found in ITEMS.values()) > 1000
