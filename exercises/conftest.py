"""`pytest exercises` runs strict nbval on the masters (exercises/source) only: the student
notebooks are unanswered (their checks fail on purpose) and dist/ is otter's build output.
tests/test_exercises.py executes the student notebooks and checks them instead."""

collect_ignore_glob = ["student/*", "dist/*"]
