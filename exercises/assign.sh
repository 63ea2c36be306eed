#!/usr/bin/env bash
# Build every exercise with otter-grader: exercises/dist/<name>/student/ (the notebook students
# get, copied to exercises/student/ with stable cell ids, so an unchanged master rebuilds to the
# same bytes) and exercises/dist/<name>/autograder/ (the autograder zip with the hidden tests:
# never commit it, .gitignore keeps dist/ out).
# Run from anywhere with the repository's environment active (otter-grader installed). The check
# helpers of exercises/check_helpers.py are copied into the masters' tests first.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
mkdir -p "$here/student"
python "$here/sync_checks.py"
for master in "$here"/source/*.ipynb; do
  name="$(basename "$master" .ipynb)"
  rm -rf "$here/dist/$name"
  python -m otter assign "$master" "$here/dist/$name"
  cp "$here/dist/$name/student/$name.ipynb" "$here/student/$name.ipynb"
  python "$here/stable_ids.py" "$here/student/$name.ipynb"
done
echo "student notebooks: $here/student/; autograder zips: $here/dist/*/autograder/*.zip"
