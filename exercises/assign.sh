#!/usr/bin/env bash
# Build every exercise with otter-grader: exercises/dist/<name>/student/ (the notebook students
# get, copied to exercises/student/) and exercises/dist/<name>/autograder/ (the autograder zip
# with the hidden tests: never commit it, .gitignore keeps dist/ out).
# Run from anywhere with the repository's environment active (otter-grader installed).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
mkdir -p "$here/student"
for master in "$here"/source/*.ipynb; do
  name="$(basename "$master" .ipynb)"
  rm -rf "$here/dist/$name"
  python -m otter assign "$master" "$here/dist/$name"
  cp "$here/dist/$name/student/$name.ipynb" "$here/student/$name.ipynb"
done
echo "student notebooks: $here/student/; autograder zips: $here/dist/*/autograder/*.zip"
