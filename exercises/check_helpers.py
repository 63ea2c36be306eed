"""The helpers every exercise check starts with (otter keeps one function per test case, so
``exercises/sync_checks.py`` copies the block below into each test function of the masters).

* ``call(name, function, *args)`` runs the student's function: a message in their terms when it is
  not defined yet or not a function, a time limit and a memory bound (a loop that never ends is
  stopped, not the kernel), any error of theirs turned into a sentence, and a failure when the
  answer calls lecture_lib (the exercise is to write the rule) or a cell replaced numpy's functions.
* ``floats(value, what)`` turns what they returned into a flat list of Python floats and its shape,
  with a sentence for the wrong kind (None, a dict, a string, a generator, ragged rows).
* ``close(got, want)`` decides in plain Python arithmetic, so no numpy function a cell can replace
  (``np.allclose = lambda *a, **k: True``) takes part in a verdict.
Messages never start or end with a quote: otter strips those from every message.
"""

# BEGIN CHECK HELPERS
import functools
import os
import signal
import sys
import time
import types

import numpy as np

LIMIT_S, BOUND_MIB = 5.0, 512


class _Stop(BaseException):  # not an Exception: a student's `except Exception` cannot swallow it
    pass


def memory():
    """Resident memory of this process in bytes (0 where /proc is missing: no bound then)."""
    try:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, AttributeError, IndexError):
        return 0


def untouched_numpy():
    """Fail if a cell replaced numpy functions (np.allclose = lambda *a, **k: True, ...)."""
    found = []
    for module, prefix in ((np, "np."), (np.testing, "np.testing."), (np.random, "np.random.")):
        for key in dir(module):
            obj = getattr(module, key, None)
            if key.startswith("_") or isinstance(obj, types.ModuleType) or not callable(obj):
                continue
            origin = str(getattr(obj, "__module__", None) or "")
            if isinstance(obj, type):
                replaced = origin == "__main__"
            else:  # numpy's functions, or methods of its global generator
                owner = type(getattr(obj, "__self__", None)).__module__
                replaced = isinstance(obj, functools.partial) or not (
                    origin.startswith("numpy") or owner.startswith("numpy"))
            if replaced:
                found.append(prefix + key)
    if found:
        raise AssertionError(
            f"a cell replaced {', '.join(found[:3])}: the checks do not decide with numpy, so "
            "this only breaks your own code; delete that line and restart the kernel")


def call(name, function, *args, _expect=None, **kwargs):
    """function(*args, **kwargs), stopped after LIMIT_S s or BOUND_MIB MiB more memory; an
    exception of the class _expect is returned (not raised), any other becomes a sentence."""
    if function is None:
        raise AssertionError(f"{name} is not defined yet: run the cell that defines {name} first, "
                             "then this check")
    if not callable(function):
        raise AssertionError(f"{name} is a {type(function).__name__}, not a function: run the "
                             f"cell with def {name}(...) again")
    untouched_numpy()
    state = {"start": time.monotonic(), "active": True, "lecture_lib": [], "memory": memory()}

    def alarm(signum, frame):
        if not state["active"]:
            return
        if time.monotonic() - state["start"] > LIMIT_S:
            raise _Stop(f"did not return within {LIMIT_S:g} s")
        if state["memory"] and memory() - state["memory"] > BOUND_MIB * 2**20:
            raise _Stop(f"took more than {BOUND_MIB} MiB of memory")

    def profile(frame, event, arg):
        if event == "call" and f"{os.sep}lecture_lib{os.sep}" in frame.f_code.co_filename:
            state["lecture_lib"].append(frame.f_code.co_name)

    try:
        previous = signal.signal(signal.SIGALRM, alarm)
        signal.setitimer(signal.ITIMER_REAL, 0.05, 0.05)
    except (AttributeError, ValueError, OSError):  # no SIGALRM (Windows), not the main thread
        previous = None
    previous_profile = sys.getprofile()
    sys.setprofile(profile)
    stopped = error = None
    try:
        result = function(*args, **kwargs)
    except _Stop as stop:
        stopped = str(stop)
    except Exception as exception:
        if _expect is not None and isinstance(exception, _expect):
            result = exception
        else:
            error = f"{type(exception).__name__}: {exception}"
    finally:
        state["active"] = False
        sys.setprofile(previous_profile)
        if previous is not None:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, previous)
    # raised here, outside the except blocks, so the stopped frames (and a list that grew
    # without bound) are freed now, not kept alive by the exception's context
    if stopped:
        raise AssertionError(f"your {name} {stopped}: a loop that never ends (a while loop "
                             "without t += 1?) or a list that grows at every step")
    if state["lecture_lib"]:
        raise AssertionError(f"your {name} calls lecture_lib ({state['lecture_lib'][0]}): the "
                             "exercise is to write the rule yourself, with numpy only")
    if error:
        raise AssertionError(f"your {name} raised {error} (fix it, run its cell, check again)")
    untouched_numpy()
    return result


def parts(result, name, names):
    """The tuple a function must return, e.g. (w_t, v_t), with a sentence for anything else."""
    want = f"({', '.join(names)})"
    if result is None:
        raise AssertionError(f"{name} returned None: replace the ... by your code and "
                             f"return {want}")
    if not isinstance(result, (tuple, list)):
        shape = getattr(result, "shape", None)
        what = f"one array of shape {shape}" if shape is not None else f"a {type(result).__name__}"
        raise AssertionError(f"{name} returned {what}: return the {len(names)} values {want}")
    if len(result) != len(names):
        raise AssertionError(f"{name} returned {len(result)} values: return {want}")
    return result


def floats(value, what):
    """(flat list of Python floats, shape) of what a student returned, or a sentence why not."""
    if value is None:
        raise AssertionError(f"{what} is None: replace the ... by your code and return it")
    if isinstance(value, (str, bytes)):
        raise AssertionError(f"{what} is a string, not numbers: return an array")
    if isinstance(value, dict):
        raise AssertionError(f"{what} is a dict: return an array of the values, not a dict")
    if isinstance(value, (types.GeneratorType, map, filter, zip)) or hasattr(value, "__next__"):
        raise AssertionError(f"{what} is a {type(value).__name__}: return an array, "
                             "np.array([...]) of the values")
    if hasattr(value, "tolist") and not isinstance(value, (list, tuple)):
        value = value.tolist()  # a method of numpy's C type: no cell can replace it
    if isinstance(value, (list, tuple)):
        items = [floats(item, what) for item in value]
        shapes = {shape for _, shape in items}
        if len(shapes) > 1:
            raise AssertionError(f"{what} has rows of different lengths: return one array")
        flat = [x for values, _ in items for x in values]
        return flat, (len(items), *(shapes.pop() if shapes else ()))
    try:
        return [float(value)], ()
    except (TypeError, ValueError):
        raise AssertionError(f"{what} holds a {type(value).__name__}, not a number") from None


def close(got, want, rtol=2e-6, atol=1e-7):
    """Same shape and every |got - want| <= atol + rtol |want|, in plain Python (NaN fails)."""
    (g, g_shape), (w, w_shape) = floats(got, "the result"), floats(want, "the reference")
    return g_shape == w_shape and all(abs(a - b) <= atol + rtol * abs(b) for a, b in zip(g, w))


def show(value, digits=4):
    """Rounded nested lists for a hint."""
    flat, shape = floats(value, "the value")
    rounded = [round(x, digits) for x in flat]
    for size in reversed(shape[1:]):
        rounded = [rounded[k:k + size] for k in range(0, len(rounded), size)]
    return rounded if shape else rounded[0]
# END CHECK HELPERS
